"""The straightforward reference loop that `bench_pipeline.py` compares lfr against:
PyAV decode -> cv2.FaceDetectorYN -> cv2.FaceRecognizerSF (alignCrop + feature) for every
face of every frame -> numpy cosine against the watchlist. The same converted models as lfr,
and by default the same detector input: each frame is shrunk (cv2.resize, INTER_LINEAR) so
its longer side is at most `--det-size` (640, lfr's default), detected there, and the faces
mapped back to the full frame, where they are aligned and embedded (as lfr does). That is the
best loop a user would write with OpenCV; `--det-size 0` detects on the full frame instead
(the earlier, flattering peer).

    python benches/reference_loop.py CLIP ENROL_IMAGE --models DIR [--det-size 640]

Prints one JSON line: frames, faces, templates, alerts-frames (frames with a match), wall_s.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import av
import cv2
import numpy as np


def detect(det: cv2.FaceDetectorYN, img: np.ndarray, det_size: int) -> np.ndarray | None:
    """YuNet's rows (box, 5 landmarks, score) in full-frame pixels."""
    h, w = img.shape[:2]
    scale = min(1.0, det_size / max(h, w)) if det_size else 1.0
    small = img
    if scale < 1.0:
        size = (max(1, round(w * scale)), max(1, round(h * scale)))
        small = cv2.resize(img, size, interpolation=cv2.INTER_LINEAR)
    det.setInputSize((small.shape[1], small.shape[0]))
    _, found = det.detect(small)
    if found is not None and scale < 1.0:
        found[:, :14] *= np.array([w / small.shape[1], h / small.shape[0]] * 7, np.float32)
    return found


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("clip", type=Path)
    ap.add_argument("enrol", type=Path)
    ap.add_argument("--models", type=Path, required=True)
    ap.add_argument("--threshold", type=float, default=0.363)
    ap.add_argument("--det-size", type=int, default=640, help="0: detect on the full frame")
    args = ap.parse_args()
    t0 = time.perf_counter()
    det = cv2.FaceDetectorYN.create(
        str(args.models / "yunet_2023mar_fp32.onnx"), "", (320, 320), 0.6, 0.3, 5000
    )
    rec = cv2.FaceRecognizerSF.create(str(args.models / "sface_2021dec_fp32.onnx"), "")
    enrol = cv2.imread(str(args.enrol))
    det.setInputSize((enrol.shape[1], enrol.shape[0]))
    _, faces = det.detect(enrol)
    gallery = rec.feature(rec.alignCrop(enrol, faces[0])).reshape(1, -1)
    gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)
    frames = n_faces = hits = 0
    with av.open(str(args.clip)) as container:
        for frame in container.decode(video=0):
            img = frame.to_ndarray(format="bgr24")
            found = detect(det, img, args.det_size)
            frames += 1
            matched = False
            for face in found if found is not None else []:
                feat = rec.feature(rec.alignCrop(img, face)).reshape(-1)
                feat /= np.linalg.norm(feat)
                n_faces += 1
                matched |= bool((gallery @ feat).max() >= args.threshold)
            hits += matched
    print(
        json.dumps(
            {
                "frames": frames,
                "faces": n_faces,
                "templates": n_faces,
                "match_frames": hits,
                "wall_s": time.perf_counter() - t0,
            }
        )
    )


if __name__ == "__main__":
    main()
