"""The pixel kernels never read an array in the wrong order and never panic: any layout
(Fortran order, transposed, strided, negative strides, unaligned) either gives exactly the
result of its C-ordered copy or a ValueError, and an output too big to allocate is a
ValueError, not a `PanicException` (which derives from BaseException and would take a camera's
thread down with it)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lfr import _native

RNG = np.random.default_rng(7)
IMG = RNG.integers(0, 256, (24, 36, 3), dtype=np.uint8)
INVERSE = np.array(
    [[[0.5, 0.1, 3.0], [-0.1, 0.5, 2.0]], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]], np.float32
)
# What callers may raise on bad input; anything else (PanicException above all) is a bug.
TYPED = (ValueError, TypeError, OverflowError, MemoryError)


def _unaligned(a: np.ndarray) -> np.ndarray:
    raw = np.zeros(a.nbytes + 1, np.uint8)
    view = np.frombuffer(raw.data, a.dtype, count=a.size, offset=1).reshape(a.shape)
    view[...] = a
    return view


LAYOUTS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "fortran": np.asfortranarray,
    "transposed back": lambda a: np.ascontiguousarray(a.T).T,  # same values, F-contiguous
    "negative rows": lambda a: np.ascontiguousarray(a[::-1])[::-1],
    "strided": lambda a: np.repeat(a, 2, axis=1)[:, ::2],
    "unaligned": _unaligned,
}


def _same_or_refused(run: Callable[[np.ndarray], np.ndarray], arr: np.ndarray) -> None:
    expected = run(np.array(arr, order="C"))  # a fresh, aligned, C-ordered copy
    try:
        got = run(arr)
    except ValueError as exc:
        assert "C-contiguous" in str(exc)
        return
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_resize_reads_any_layout_right_or_refuses_it(layout: str) -> None:
    img = LAYOUTS[layout](IMG)
    np.testing.assert_array_equal(img, IMG)
    _same_or_refused(lambda a: _native.resize_to_blob(a, 12, 18, 32, 32), img)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_warp_reads_any_layout_right_or_refuses_it(layout: str) -> None:
    _same_or_refused(lambda a: _native.warp_affine(a, INVERSE, 16), LAYOUTS[layout](IMG))
    if layout != "strided":  # the [n, 2, 3] maps in every layout too
        inverse = LAYOUTS[layout](INVERSE)
        _same_or_refused(lambda m: _native.warp_affine(IMG, m, 16), inverse)


def test_a_fortran_ordered_frame_is_not_read_in_the_wrong_order() -> None:
    with pytest.raises(ValueError, match="C-contiguous"):
        _native.resize_to_blob(np.asfortranarray(IMG), 12, 18, 32, 32)
    with pytest.raises(ValueError, match="C-contiguous"):
        _native.warp_affine(IMG, np.asfortranarray(INVERSE), 16)


@pytest.mark.parametrize(
    "call",
    [
        lambda: _native.resize_to_blob(IMG, 12, 18, 2**31, 2**31),
        lambda: _native.resize_to_blob(IMG, 12, 18, 100_000, 100_000),  # 112 GiB
        lambda: _native.resize_to_blob(IMG, 2**40, 2**40, 2**40, 2**40),
        lambda: _native.warp_affine(IMG, INVERSE, 2**40),
        lambda: _native.warp_affine(IMG, INVERSE, 100_000),  # 56 GiB
        lambda: _native.warp_affine(IMG, np.zeros((2**20, 2, 3), np.float32), 112),
    ],
)
def test_outputs_too_big_to_allocate_are_a_value_error(call: Callable[[], object]) -> None:
    with pytest.raises(ValueError, match="output limit"):
        call()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    shape=st.tuples(st.integers(0, 9), st.integers(0, 9), st.integers(0, 6)),
    step=st.sampled_from([1, 2, -1, -2]),
    order=st.sampled_from(["C", "F"]),
    target=st.tuples(st.integers(0, 2**33), st.integers(0, 2**33)),
    pad=st.tuples(st.integers(0, 2**33), st.integers(0, 2**33)),
    size=st.integers(0, 2**33),
)
def test_no_input_makes_the_kernels_panic(
    shape: tuple[int, int, int],
    step: int,
    order: str,
    target: tuple[int, int],
    pad: tuple[int, int],
    size: int,
) -> None:
    img = np.asarray(RNG.integers(0, 256, shape, dtype=np.uint8), order=order)[::step]
    small = (min(target[0], 64), min(target[1], 64), min(pad[0], 64), min(pad[1], 64))
    for args in ((*target, *pad), small):
        with contextlib.suppress(*TYPED):
            _native.resize_to_blob(img, *args)
    for n in (0, 1, 3):
        maps = np.tile(INVERSE[:1], (n, 1, 1))
        for side in (size, min(size, 32)):
            with contextlib.suppress(*TYPED):
                _native.warp_affine(img, maps, side)
