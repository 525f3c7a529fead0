"""5-point face alignment onto the standard 112x112 ArcFace template (what SFace expects).

A similarity transform (rotation, uniform scale, translation) is fitted per face by least
squares (Umeyama 1991, closed form via a 2x2 SVD; batched over faces), then the crop is
sampled (in Rust, batched per frame; the numpy reference lives with its tests) with bilinear interpolation and a black border, matching OpenCV's `alignCrop`
(warpAffine, INTER_LINEAR, BORDER_CONSTANT 0) so templates are comparable across both.
"""

from __future__ import annotations

import numpy as np

from lfr import _native
from lfr.errors import InputError

CROP = 112
# Destination landmarks in YuNet order: right eye, left eye, nose tip, right mouth corner,
# left mouth corner (the person's right appears on the image's left).
TEMPLATE = np.array(
    [
        [38.2946, 51.6963],
        [73.5318, 51.5014],
        [56.0252, 71.7366],
        [41.5493, 92.3655],
        [70.7299, 92.2041],
    ],
    dtype=np.float64,
)


def similarity_transforms(landmarks: np.ndarray, template: np.ndarray = TEMPLATE) -> np.ndarray:
    """Umeyama least-squares similarity from each face's 5 points onto `template`.
    landmarks: [n, 10] or [n, 5, 2]; returns [n, 2, 3] float64 (src -> crop)."""
    src = np.asarray(landmarks, dtype=np.float64).reshape(-1, 5, 2)
    if not np.isfinite(src).all():
        raise InputError("landmarks contain NaN or infinity")
    src_mean = src.mean(axis=1, keepdims=True)
    dst_mean = template.mean(axis=0, keepdims=True)
    s = src - src_mean
    d = template - dst_mean
    cov = np.einsum("ki,nkj->nij", d, s) / 5.0  # [n, 2, 2]: dst x src
    u, sig, vt = np.linalg.svd(cov)
    sign = np.where(np.linalg.det(u) * np.linalg.det(vt) < 0, -1.0, 1.0)
    fix = np.ones((len(src), 2))
    fix[:, 1] = sign
    rot = u @ (fix[:, :, None] * vt)
    var_src = (s**2).sum(axis=(1, 2)) / 5.0
    scale = (sig * fix).sum(axis=1) / np.maximum(var_src, 1e-12)
    m = np.empty((len(src), 2, 3))
    m[:, :, :2] = scale[:, None, None] * rot
    m[:, :, 2] = dst_mean[0] - np.einsum("nij,nj->ni", m[:, :, :2], src_mean[:, 0])
    return m


def invert_affine(m: np.ndarray) -> np.ndarray:
    a = m[:, :, :2]
    inv_a = np.linalg.inv(a)
    out = np.empty_like(m)
    out[:, :, :2] = inv_a
    out[:, :, 2] = -np.einsum("nij,nj->ni", inv_a, m[:, :, 2])
    return out


def warp_affine(img: np.ndarray, transforms: np.ndarray, size: int = CROP) -> np.ndarray:
    """Bilinear warp of `img` (uint8 [H, W, C]) through each forward transform ([n, 2, 3],
    src -> dst) into [n, size, size, C] uint8; outside the image reads as 0. Runs in Rust
    (`lfr-imaging`, GIL released)."""
    inv = np.ascontiguousarray(
        invert_affine(np.asarray(transforms, dtype=np.float64)), dtype=np.float32
    )
    return _native.warp_affine(np.ascontiguousarray(img), inv, size)


class Aligner:
    """Landmarks in, 112x112 crops out, batched."""

    size = CROP

    def align_arrays(self, img: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        """uint8 [n, 112, 112, 3] crops for landmarks f32 [n, 10] (YuNet order)."""
        lm = np.asarray(landmarks, dtype=np.float32)
        if (lm.ndim != 2 or lm.shape[1] != 10) and not (lm.ndim == 3 and lm.shape[1:] == (5, 2)):
            raise InputError(f"landmarks must be [n, 10] or [n, 5, 2], got {lm.shape}")
        if lm.shape[0] == 0:
            return np.zeros((0, CROP, CROP, 3), dtype=np.uint8)
        return warp_affine(img, similarity_transforms(lm))
