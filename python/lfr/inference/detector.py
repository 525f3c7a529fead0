"""YuNet (2023mar) face detection: frame in, boxes + scores + 5 landmarks out.

The frame is shrunk (never enlarged, unless `upscale`) so its longer side is at most
`det_size`, then zero-padded on the right/bottom to multiples of 32 rather than to a square:
the converted graph has a symbolic height/width, so a 16:9 frame costs 640x384, not 640x640.
The resize (box filter by the integer factor, then bilinear) runs in Rust (`lfr-imaging`)
with the GIL released; `lfr.inference.resize` holds the numpy reference it is tested against.
Decoding follows the model's training head per stride 8/16/32: score = sqrt(cls * obj);
centre = (cell + delta) * stride; size = exp(delta) * stride; landmark = (cell + delta) * stride.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]

from lfr._native import resize_to_blob
from lfr.errors import ConfigError, InputError

STRIDES = (8, 16, 32)
CUT_MARGIN = 8  # network pixels: a box this close to a region's inner edge is a cut face
Arrays = tuple[np.ndarray, np.ndarray, np.ndarray]  # boxes [n, 4], scores [n], landmarks [n, 10]


@dataclass(frozen=True)
class DetectorConfig:
    det_size: int = 640  # longest side of the network input; a multiple of 32
    score_threshold: float = 0.6
    nms_iou: float = 0.3
    min_face_px: float = 16.0  # shorter box side, in original pixels
    max_faces: int = 500
    upscale: bool = False  # enlarge frames smaller than det_size

    def __post_init__(self) -> None:
        if self.det_size < 32 or self.det_size % 32:
            raise ConfigError(
                f"models.det_size: must be a positive multiple of 32, got {self.det_size}"
            )
        if not 0.0 < self.score_threshold < 1.0:
            raise ConfigError(
                f"detector.score_threshold: must be in (0, 1), got {self.score_threshold}"
            )
        if not 0.0 < self.nms_iou <= 1.0:
            raise ConfigError(f"detector.nms_iou: must be in (0, 1], got {self.nms_iou}")


def _round_up(n: int, m: int = 32) -> int:
    return (n + m - 1) // m * m


def check_frame(img: np.ndarray) -> None:
    if (
        not isinstance(img, np.ndarray)
        or img.dtype != np.uint8
        or img.ndim != 3
        or img.shape[2] != 3
    ):
        got = f"{getattr(img, 'dtype', type(img).__name__)} {getattr(img, 'shape', '')}"
        raise InputError(f"expected a uint8 BGR image [H, W, 3], got {got}")
    if img.shape[0] < 1 or img.shape[1] < 1:
        raise InputError(f"empty image {img.shape}")


def nms(boxes: np.ndarray, scores: np.ndarray, iou: float, limit: int) -> np.ndarray:
    """Greedy non-maximum suppression; indices kept, best score first."""
    order = np.argsort(-scores, kind="stable")
    x1, y1, x2, y2 = boxes.T
    areas = np.maximum(x2 - x1, 0) * np.maximum(y2 - y1, 0)
    keep: list[int] = []
    while order.size and len(keep) < limit:
        i = int(order[0])
        keep.append(i)
        rest = order[1:]
        w = np.maximum(np.minimum(x2[i], x2[rest]) - np.maximum(x1[i], x1[rest]), 0)
        h = np.maximum(np.minimum(y2[i], y2[rest]) - np.maximum(y1[i], y1[rest]), 0)
        inter = w * h
        union = areas[i] + areas[rest] - inter
        order = rest[inter <= iou * np.maximum(union, 1e-9)]
    return np.asarray(keep, dtype=np.intp)


class Detector:
    """One YuNet session. Thread-safe (ORT sessions are); `detect_arrays` releases the GIL
    for the network run."""

    def __init__(self, session: ort.InferenceSession, config: DetectorConfig | None = None) -> None:
        self.session = session
        self.config = config or DetectorConfig()
        self._input = session.get_inputs()[0].name
        self._outputs = [f"{kind}_{s}" for kind in ("cls", "obj", "bbox", "kps") for s in STRIDES]

    def input_shape(self, h: int, w: int) -> tuple[float, int, int]:
        """(scale, resized h, resized w) for a frame of h x w."""
        scale = self.config.det_size / max(h, w)
        if not self.config.upscale:
            scale = min(scale, 1.0)
        return scale, max(1, round(h * scale)), max(1, round(w * scale))

    def decode(self, outs: list[np.ndarray], ph: int, pw: int) -> Arrays:
        boxes, scores, kps = [], [], []
        thr = self.config.score_threshold
        for i, stride in enumerate(STRIDES):
            cls, obj, bbox, lmk = (
                outs[i][0, :, 0],
                outs[3 + i][0, :, 0],
                outs[6 + i][0],
                outs[9 + i][0],
            )
            score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
            idx = np.flatnonzero(score >= thr)
            if idx.size == 0:
                continue
            cols = pw // stride
            cell = np.stack([idx % cols, idx // cols], axis=1).astype(np.float32)
            b = bbox[idx]
            centre = (cell + b[:, :2]) * stride
            size = np.exp(b[:, 2:4]) * stride
            boxes.append(np.concatenate([centre - size / 2, centre + size / 2], axis=1))
            kps.append(((lmk[idx].reshape(-1, 5, 2) + cell[:, None, :]) * stride).reshape(-1, 10))
            scores.append(score[idx])
        if not boxes:
            return _EMPTY
        return np.concatenate(boxes), np.concatenate(scores), np.concatenate(kps)

    def shrink_step(self, h: int, w: int) -> int:
        """The integer factor a frame of h x w is shrunk by (1 when it is not an integer):
        regions snapped to multiples of it shrink exactly like the whole frame."""
        scale = self.input_shape(h, w)[0]
        inverse = 1.0 / scale
        return max(1, round(inverse)) if abs(inverse - round(inverse)) < 1e-6 else 1

    def _run(self, img: np.ndarray, rh: int, rw: int) -> Arrays:
        """Raw candidates (boxes, scores, landmarks) in `img`'s pixels, before NMS."""
        blob = resize_to_blob(np.ascontiguousarray(img), rh, rw, _round_up(rh), _round_up(rw))
        outs = self.session.run(self._outputs, {self._input: blob})
        boxes, scores, kps = self.decode(outs, blob.shape[2], blob.shape[3])
        # exact scale per axis after rounding, so coordinates map back without drift
        sx, sy = rw / img.shape[1], rh / img.shape[0]
        return (
            boxes / np.array([sx, sy] * 2, np.float32),
            scores,
            kps / np.array([sx, sy] * 5, np.float32),
        )

    def _finish(self, found: Arrays, h: int, w: int) -> Arrays:
        """Non-maximum suppression, clipping to the frame and the minimum size."""
        boxes, scores, kps = found
        cfg = self.config
        if scores.size:
            keep = nms(boxes, scores, cfg.nms_iou, cfg.max_faces)
            boxes, scores, kps = boxes[keep], scores[keep], kps[keep]
            boxes = np.clip(boxes, 0, [w, h, w, h])
            side = np.minimum(boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1])
            big = side >= cfg.min_face_px
            boxes, scores, kps = boxes[big], scores[big], kps[big]
        return (
            np.ascontiguousarray(boxes, dtype=np.float32),
            np.ascontiguousarray(scores, dtype=np.float32),
            np.ascontiguousarray(kps, dtype=np.float32),
        )

    def detect_arrays(self, img: np.ndarray) -> Arrays:
        """boxes f32 [n, 4] (x1, y1, x2, y2), scores f32 [n], landmarks f32 [n, 10], in the
        original image's pixels, best score first."""
        check_frame(img)
        h, w = img.shape[:2]
        _scale, rh, rw = self.input_shape(h, w)
        return self._finish(self._run(img, rh, rw), h, w)

    def detect_regions(self, img: np.ndarray, regions: np.ndarray) -> Arrays:
        """`detect_arrays` searching only `regions` (int [m, 4] x0, y0, x1, y1 in frame
        pixels, non-overlapping), each at the scale the whole frame is detected at. A face
        cut by a region's edge inside the frame (its box within `CUT_MARGIN` network pixels
        of the edge) is left out: it belongs to the next whole-frame detection, not to a box
        truncated by the region."""
        check_frame(img)
        h, w = img.shape[:2]
        _scale, fh, fw = self.input_shape(h, w)
        near = CUT_MARGIN * w / fw  # frame pixels
        parts: list[Arrays] = []
        for x0, y0, x1, y1 in np.asarray(regions, dtype=np.int64).reshape(-1, 4):
            if not (0 <= x0 < x1 <= w and 0 <= y0 < y1 <= h):
                raise InputError(f"region {(x0, y0, x1, y1)} outside the {w}x{h} frame")
            rh = max(1, round((y1 - y0) * fh / h))
            rw = max(1, round((x1 - x0) * fw / w))
            boxes, scores, kps = self._run(img[y0:y1, x0:x1], rh, rw)
            offset = np.array([x0, y0], np.float32)
            boxes, kps = boxes + np.tile(offset, 2), kps + np.tile(offset, 5)
            cut = (
                ((x0 > 0) & (boxes[:, 0] <= x0 + near))
                | ((y0 > 0) & (boxes[:, 1] <= y0 + near))
                | ((x1 < w) & (boxes[:, 2] >= x1 - near))
                | ((y1 < h) & (boxes[:, 3] >= y1 - near))
            )
            parts.append((boxes[~cut], scores[~cut], kps[~cut]))
        if not parts:
            return self._finish(_EMPTY, h, w)
        boxes, scores, kps = (np.concatenate(p) for p in zip(*parts, strict=True))
        return self._finish((boxes, scores, kps), h, w)


_EMPTY = (np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 10), np.float32))
