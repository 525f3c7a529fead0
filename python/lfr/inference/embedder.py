"""SFace (2021dec) embeddings: aligned 112x112 crops in, L2-normalised 128-d templates out.

Crops are BGR (like every image in lfr); SFace was trained on RGB 0..255 and normalises
inside the graph, so preprocessing is a channel swap and a layout change. Batches are split
into chunks of `max_batch` to bound memory when a crowd walks in.
"""

from __future__ import annotations

import numpy as np
import onnxruntime as ort  # type: ignore[import-untyped]

from lfr.errors import InputError

CROP = 112


def l2_normalise(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return (x / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


class Embedder:
    def __init__(self, session: ort.InferenceSession, *, max_batch: int = 32) -> None:
        self.session = session
        self.max_batch = max_batch
        self._input = session.get_inputs()[0].name
        self.dim = int(session.get_outputs()[0].shape[1])

    def embed_crops(self, crops: np.ndarray) -> np.ndarray:
        """float32 [n, dim], L2-normalised, for uint8 BGR crops [n, 112, 112, 3]."""
        if (
            not isinstance(crops, np.ndarray)
            or crops.dtype != np.uint8
            or crops.shape[1:] != (CROP, CROP, 3)
        ):
            got = f"{getattr(crops, 'dtype', type(crops).__name__)} {getattr(crops, 'shape', '')}"
            raise InputError(f"expected uint8 crops [n, {CROP}, {CROP}, 3], got {got}")
        out = np.empty((len(crops), self.dim), dtype=np.float32)
        for start in range(0, len(crops), self.max_batch):
            chunk = crops[start : start + self.max_batch]
            blob = np.ascontiguousarray(chunk[..., ::-1].transpose(0, 3, 1, 2), dtype=np.float32)
            out[start : start + len(chunk)] = self.session.run(None, {self._input: blob})[0]
        return l2_normalise(out)
