"""What one analysed 720p frame costs, stage by stage, on one thread (CPU time, so other
people's jobs on the box inflate it less than wall time would).

Plays the capacity bench's clip (the Hamilton clip at 1280x720, 29.97 fps) through the live
analysis path the way a camera capped at 10 fps does (its decoder set up like a camera's, the
cap on media time) and times each stage with `time.thread_time()`: decoding, the colour
conversion of the analysed frames, detection (whole frame or the regions around the faces
before), then tracking + embedding + the decision; plus, over a sample of frames, the parts
of a whole-frame detection (resize into the blob, the network, box decoding) and of a
template (alignment, quality weight, the network).

    python benches/stage_costs.py [--threads 1] [--passes 3] [--full-frame-every N]
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
    ap.add_argument("--fps", type=float, default=10.0, help="the analysis cap")
    ap.add_argument("--full-frame-every", type=int, default=None, help="default: lfr's")
    args = ap.parse_args()
    from lfr.inference import FaceAnalyzer
    from lfr.inference.regions import RegionPlan
    from lfr.pipeline.analysis import FrameAnalysis
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.engine import DETECTION_FLOOR, EngineSettings
    from lfr.pipeline.watchlists import WatchlistSet
    from lfr.store import Store
    from lfr.stream.decode import RateCap
    from lfr.stream.decoder_setup import DecoderSetup
    from lfr.stream.frame import Frame

    every = args.full_frame_every or EngineSettings().full_frame_every
    clip, home = prepared_media()
    fa = FaceAnalyzer.create(threads=args.threads, score_threshold=DETECTION_FLOOR)
    with Store.open(home) as store:
        lists = WatchlistSet(store, fa.model_id)
        lists.load("wl")
    ctx = CameraContext(
        "bench",
        "wl",
        media_clock=True,
        tracker_settings={"cooldown_s": 1.0},
        lookup=lists.get,
        regions=RegionPlan(full_every=every),
    )
    analysis = FrameAnalysis(fa)
    ms: dict[str, float] = defaultdict(float)
    counts: dict[str, int] = defaultdict(int)
    sample: list[np.ndarray] = []
    wanted_faces: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    setup, cap, offset = DecoderSetup(args.fps, paced=True), RateCap(args.fps), 0.0
    for _ in range(args.passes):
        with av.open(str(clip)) as container:
            stream = container.streams.video[0]
            setup.configure(stream)
            frames_iter = iter(container.decode(stream))
            last = 0.0
            while True:
                t0 = time.process_time()  # the decoder may use threads of its own
                frame = next(frames_iter, None)
                ms["decode (all frames decoded)"] += (time.process_time() - t0) * 1e3
                if frame is None:
                    break
                counts["decoded"] += 1
                last = float(frame.time) + offset
                setup.frame_out(last)
                if not cap.admit(last):
                    continue
                counts["analysed"] += 1
                t0 = clock()
                img = np.ascontiguousarray(frame.to_ndarray(format="bgr24"))
                t1 = clock()
                f = Frame("bench", counts["analysed"], last, time.monotonic(), time.time(), img)
                found = analysis.detect(ctx, f, time.monotonic())
                t2 = clock()
                result = analysis.decide(ctx, f, found)
                t3 = clock()
                kind = "whole frame" if found.whole_frame else "regions"
                counts[kind] += 1
                ms["colour conversion (bgr24)"] += t1 - t0
                ms[f"detect ({kind})"] += t2 - t1
                ms["track + embed + decide"] += t3 - t2
                counts["faces"] += result.faces
                counts["templates"] += result.templates
                counts["alerts"] += len(result.candidates)
                if len(sample) < 100:
                    sample.append(img)
                    if result.templates:
                        n = result.templates
                        wanted_faces.append((img, found.landmarks[:n], found.scores[:n]))
            offset = last + 1 / 29.97
    n = counts["analysed"]
    per_frame = {k: round(v / n, 3) for k, v in ms.items() if not k.startswith("detect (")}
    for kind in ("whole frame", "regions"):
        if counts[kind]:
            per_frame[f"detect ({kind}), per such frame"] = round(
                ms[f"detect ({kind})"] / counts[kind], 3
            )
    per_frame["detect, mean over analysed frames"] = round(
        (ms["detect (whole frame)"] + ms["detect (regions)"]) / n, 3
    )
    per_frame["total"] = round(sum(ms.values()) / n, 2)
    per_frame.update({k: round(v, 3) for k, v in detection_split(fa.detector, sample).items()})
    per_frame.update({k: round(v, 3) for k, v in embedding_split(fa, wanted_faces).items()})
    print(
        json.dumps(
            {
                "cpu": describe(),
                "threads": args.threads,
                "full_frame_every": every,
                "decoded": counts["decoded"],
                "analysed": n,
                "faces_per_frame": round(counts["faces"] / n, 2),
                "templates_per_frame": round(counts["templates"] / n, 3),
                "alerts": counts["alerts"],
                "cpu_ms_per_analysed_frame": per_frame,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
