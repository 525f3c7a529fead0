"""What one analysed 720p frame costs, stage by stage, on one thread (CPU time, so other
people's jobs on the box inflate it less than wall time would).

Plays the capacity bench's clip (the Hamilton clip at 1280x720, 29.97 fps) through the live
analysis path the way a camera capped at 10 fps does (one frame in three analysed) and times
each stage with `time.thread_time()`: decode of every frame, the colour conversion of the
analysed ones, detection (resize into the blob, the network, box decoding), the tracker, and
alignment + quality + embedding of the faces the tracker asks templates for.

    python benches/stage_costs.py [--threads 1] [--passes 3] [--det-size 640]
"""

from __future__ import annotations

import argparse
import json
import time
from collections import defaultdict

import av
import numpy as np

from bench_capacity import prepared_media
from lfr._native import resize_to_blob
from machine import describe


def clock() -> float:
    return time.thread_time() * 1e3


def detection_split(det, images: list[np.ndarray]) -> dict[str, float]:
    """The detector's three parts, CPU ms per frame over `images`."""
    ms: dict[str, float] = defaultdict(float)
    for img in images:
        t0 = clock()
        _scale, rh, rw = det.input_shape(*img.shape[:2])
        blob = resize_to_blob(img, rh, rw, (rh + 31) // 32 * 32, (rw + 31) // 32 * 32)
        t1 = clock()
        outs = det.session.run(det._outputs, {det._input: blob})
        t2 = clock()
        det.decode(outs, blob.shape[2], blob.shape[3])
        t3 = clock()
        ms["detect: resize into the blob"] += t1 - t0
        ms["detect: network"] += t2 - t1
        ms["detect: box decode"] += t3 - t2
    return {k: v / max(1, len(images)) for k, v in ms.items()}


def embedding_split(fa, faces: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict:
    """Alignment, quality weights and the network, CPU ms per template, over `faces`
    ((image, landmarks, scores) of the faces the tracker asked templates for)."""
    from lfr.pipeline.analysis import quality_weights

    ms: dict[str, float] = defaultdict(float)
    n = 0
    for img, lms, scores in faces:
        t0 = clock()
        crops = fa.aligner.align_arrays(img, lms)
        t1 = clock()
        quality_weights(lms, scores, crops)
        t2 = clock()
        fa.embed_crops(crops)
        t3 = clock()
        ms["embed: align"] += t1 - t0
        ms["embed: quality"] += t2 - t1
        ms["embed: network"] += t3 - t2
        n += len(lms)
    return {k + " (per template)": v / max(1, n) for k, v in ms.items()}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--passes", type=int, default=3)
    ap.add_argument("--det-size", type=int, default=640)
    ap.add_argument("--every", type=int, default=3, help="analyse one frame in N")
    args = ap.parse_args()
    from lfr.inference import FaceAnalyzer
    from lfr.pipeline.analysis import FrameAnalysis
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.engine import DETECTION_FLOOR
    from lfr.pipeline.watchlists import WatchlistSet
    from lfr.store import Store
    from lfr.stream.frame import Frame

    clip, home = prepared_media()
    fa = FaceAnalyzer.create(
        threads=args.threads, det_size=args.det_size, score_threshold=DETECTION_FLOOR
    )
    with Store.open(home) as store:
        lists = WatchlistSet(store, fa.model_id)
        lists.load("wl")
    ctx = CameraContext(
        "bench", "wl", media_clock=True, tracker_settings={"cooldown_s": 1.0}, lookup=lists.get
    )
    analysis = FrameAnalysis(fa)
    ms: dict[str, float] = defaultdict(float)
    frames = analysed = faces = templates = alerts = 0
    sample: list[np.ndarray] = []
    wanted_faces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    offset = 0.0
    for _ in range(args.passes):
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            frames_iter = iter(container.decode(stream))
            last = 0.0
            while True:
                t0 = time.process_time()  # FFmpeg decodes in its own threads
                frame = next(frames_iter, None)
                ms["decode (3 frames, all threads)"] += (time.process_time() - t0) * 1e3
                if frame is None:
                    break
                frames += 1
                if frames % args.every:
                    continue
                analysed += 1
                t0 = clock()
                img = np.ascontiguousarray(frame.to_ndarray(format="bgr24"))
                t1 = clock()
                ms["colour conversion (bgr24)"] += t1 - t0
                last = float(frame.time) + offset
                f = Frame("bench", analysed, last, time.monotonic(), time.time(), img)
                result = analysis.analyse(ctx, f, time.monotonic())
                ms["analyse (detect..decide), total"] += clock() - t1
                for stage in ("detect", "track", "embed", "match"):
                    ms[f"  {stage} (wall)"] += result.stage_ms.get(stage, 0.0)
                faces += result.faces
                templates += result.templates
                alerts += len(result.candidates)
                if len(sample) < 100:
                    sample.append(img)
                    _boxes, scores, lms = fa.detector.detect_arrays(img)
                    if result.templates:
                        wanted_faces.append(
                            (img, lms[: result.templates], scores[: result.templates])
                        )
            offset = last + 1 / 29.97
    per_frame = {k: round(v / analysed, 3) for k, v in ms.items()}
    per_frame.update({k: round(v, 3) for k, v in detection_split(fa.detector, sample).items()})
    per_frame.update({k: round(v, 3) for k, v in embedding_split(fa, wanted_faces).items()})
    print(
        json.dumps(
            {
                "cpu": describe(),
                "threads": args.threads,
                "det_size": args.det_size,
                "frames_decoded": frames,
                "frames_analysed": analysed,
                "faces_per_frame": round(faces / analysed, 2),
                "templates_per_frame": round(templates / analysed, 3),
                "alerts": alerts,
                "cpu_ms_per_analysed_frame": per_frame,
                "embed_wall_ms_per_template": round(ms["  embed (wall)"] / max(1, templates), 2),
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
