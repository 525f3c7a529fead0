"""Numpy references of the Rust imaging kernels (`resize_to_blob`, `warp_affine`), which the
native tests compare against.

Downscaling a BGR frame for the detector:

WHY not PyAV/swscale: a bgr24 -> bgr24 swscale pass costs ~10 ms for 1080p, more than YuNet
itself at 640 (~3 ms on one core). A box filter by the integer part of the factor (separable
strided sums, ~3 ms for 1080p -> 360p) followed by a bilinear pass for any fractional rest is
both cheaper and alias-free, and it writes float32 directly, which the network wants anyway.
"""

from __future__ import annotations

import numpy as np

from lfr.inference.align import CROP, invert_affine


def _box_reduce(img: np.ndarray, k: int) -> np.ndarray:
    """Mean over k x k blocks (trailing rows/cols that do not fill a block are dropped)."""
    h, w = img.shape[0] // k * k, img.shape[1] // k * k
    rows = img[0:h:k, :w].astype(np.uint16)
    for i in range(1, k):
        rows += img[i:h:k, :w]
    acc = rows[:, 0::k].copy()
    for j in range(1, k):
        acc += rows[:, j::k]
    out = acc.astype(np.float32)
    out *= 1.0 / (k * k)
    return out


def _taps(n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Source indices i0, i1 and weight of i1 for a half-pixel-centred linear resize."""
    pos = (np.arange(n_out, dtype=np.float32) + 0.5) * (n_in / n_out) - 0.5
    pos = np.clip(pos, 0.0, n_in - 1)
    i0 = np.floor(pos).astype(np.intp)
    i1 = np.minimum(i0 + 1, n_in - 1)
    return i0, i1, (pos - i0).astype(np.float32)


def _bilinear(img: np.ndarray, h: int, w: int) -> np.ndarray:
    y0, y1, wy = _taps(img.shape[0], h)
    x0, x1, wx = _taps(img.shape[1], w)
    top = img[y0].astype(np.float32, copy=False)
    rows = top + (img[y1] - top) * wy[:, None, None]
    left = rows[:, x0]
    return left + (rows[:, x1] - left) * wx[None, :, None]


def resize_float(img: np.ndarray, h: int, w: int) -> np.ndarray:
    """`img` (uint8 [H, W, C]) resized to float32 [h, w, C] (box + bilinear when shrinking)."""
    if (h, w) == img.shape[:2]:
        return img.astype(np.float32)
    k = int(min(img.shape[0] / h, img.shape[1] / w))
    src = _box_reduce(img, k) if k >= 2 else img
    if src.shape[:2] == (h, w):
        return src.astype(np.float32, copy=False)
    return _bilinear(src, h, w)


def warp_affine_reference(img: np.ndarray, transforms: np.ndarray, size: int = CROP) -> np.ndarray:
    """The same warp in numpy: the reference the Rust kernel is tested against."""
    n = len(transforms)
    h, w, c = img.shape
    inv = invert_affine(transforms).astype(np.float32)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    grid = np.stack([xs.ravel(), ys.ravel(), np.ones(size * size, np.float32)])  # [3, P]
    src = inv @ grid  # [n, 2, P]
    sx, sy = src[:, 0], src[:, 1]
    x0 = np.floor(sx)
    y0 = np.floor(sy)
    fx = (sx - x0)[..., None]
    fy = (sy - y0)[..., None]
    x0i = x0.astype(np.intp)
    y0i = y0.astype(np.intp)
    out = np.zeros((n, size * size, c), dtype=np.float32)
    flat = img.reshape(-1, c)
    for dy, wy in ((0, 1.0 - fy), (1, fy)):
        yy = y0i + dy
        for dx, wx in ((0, 1.0 - fx), (1, fx)):
            xx = x0i + dx
            inside = ((xx >= 0) & (xx < w) & (yy >= 0) & (yy < h))[..., None]
            idx = np.clip(yy, 0, h - 1) * w + np.clip(xx, 0, w - 1)
            out += np.where(inside, flat[idx], 0) * (wx * wy)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8).reshape(n, size, size, c)
