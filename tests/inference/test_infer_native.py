"""The Rust pixel kernels (lfr._native.resize_to_blob / warp_affine) against their numpy
references, on random images and odd sizes, plus their input checks."""

from __future__ import annotations

import numpy as np
import pytest
from imaging_reference import resize_float, warp_affine_reference

from lfr import _native
from lfr.inference.align import invert_affine, similarity_transforms

RNG = np.random.default_rng(42)


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ((1080, 1920), (360, 640)),
        ((1080, 1920), (180, 320)),
        ((1080, 1920), (480, 853)),
        ((360, 640), (360, 640)),
        ((97, 131), (60, 81)),
        ((50, 70), (113, 150)),
        ((7, 5), (3, 2)),
    ],
)
def test_resize_matches_reference(src: tuple[int, int], dst: tuple[int, int]) -> None:
    img = RNG.integers(0, 256, (*src, 3), dtype=np.uint8)
    ph, pw = (dst[0] + 31) // 32 * 32, (dst[1] + 31) // 32 * 32
    blob = _native.resize_to_blob(img, dst[0], dst[1], ph, pw)
    assert blob.shape == (1, 3, ph, pw) and blob.dtype == np.float32
    ref = resize_float(img, *dst).transpose(2, 0, 1)
    assert np.allclose(blob[0, :, : dst[0], : dst[1]], ref, atol=1e-3)
    assert not blob[0, :, dst[0] :, :].any() and not blob[0, :, :, dst[1] :].any()  # zero padding


def test_warp_matches_reference_including_borders() -> None:
    img = RNG.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    lms = RNG.uniform([-40, -40], [340, 240], size=(16, 5, 2)).astype(np.float32)  # some off-image
    fwd = similarity_transforms(lms)
    ours = _native.warp_affine(img, np.ascontiguousarray(invert_affine(fwd), dtype=np.float32), 112)
    ref = warp_affine_reference(img, fwd)
    assert ours.shape == (16, 112, 112, 3)
    diff = np.abs(ours.astype(int) - ref)
    assert diff.max() <= 1 and (diff > 0).mean() < 1e-3  # float rounding only


def test_native_kernels_reject_bad_arrays() -> None:
    img = np.zeros((10, 10, 3), np.uint8)
    with pytest.raises(TypeError, match="uint8"):
        _native.resize_to_blob(img.astype(np.float32), 5, 5, 32, 32)
    with pytest.raises(ValueError, match="C-contiguous"):
        _native.resize_to_blob(img[:, ::2], 5, 5, 32, 32)
    with pytest.raises(ValueError, match="fit the padded"):
        _native.resize_to_blob(img, 40, 5, 32, 32)
    with pytest.raises(ValueError, match=r"\[n, 2, 3\]"):
        _native.warp_affine(img, np.zeros((1, 3, 3), np.float32), 8)
    with pytest.raises(ValueError, match="NaN"):
        _native.warp_affine(img, np.full((1, 2, 3), np.nan, np.float32), 8)
    with pytest.raises(TypeError, match="float32"):
        _native.warp_affine(img, np.zeros((1, 2, 3), np.float64), 8)
