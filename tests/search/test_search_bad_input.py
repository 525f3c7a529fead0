"""Every bad input named by the issue gives a clear ValueError / TypeError and changes nothing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from search_reference import KernelName

from lfr._native import Gallery

DIM = 8


@pytest.fixture
def g() -> Gallery:
    gal = Gallery(DIM)
    gal.add(["a", "b"], np.eye(2, DIM, dtype=np.float32))
    return gal


def _rows(n: int = 1) -> np.ndarray:
    return np.ones((n, DIM), np.float32)


def _nan() -> np.ndarray:
    m = _rows(2)
    m[1, 3] = np.nan
    return m


def _inf() -> np.ndarray:
    m = _rows(1)
    m[0, 0] = -np.inf
    return m


BAD_ARRAYS: list[tuple[str, Any, type[Exception], str]] = [
    ("wrong dim", np.ones((1, DIM + 1), np.float32), ValueError, "shape (n, 8), got (1, 9)"),
    ("1-D", np.ones(DIM, np.float32), ValueError, "shape (n, 8), got (8,)"),
    ("3-D", np.ones((1, 1, DIM), np.float32), ValueError, "shape (n, 8), got (1, 1, 8)"),
    ("float64", np.ones((1, DIM)), TypeError, "float32"),
    ("int32", np.ones((1, DIM), np.int32), TypeError, "float32"),
    ("big-endian", np.ones((1, DIM), ">f4"), TypeError, "float32"),
    ("list", [[1.0] * DIM], TypeError, "numpy.ndarray"),
    ("non-contiguous", np.ones((1, 2 * DIM), np.float32)[:, ::2], ValueError, "C-contiguous"),
    ("fortran", np.asfortranarray(np.ones((3, DIM), np.float32)), ValueError, "C-contiguous"),
    ("nan", _nan(), ValueError, "NaN or infinity at row 1, column 3"),
    ("inf", _inf(), ValueError, "NaN or infinity"),
    ("zero row", np.zeros((1, DIM), np.float32), ValueError, "all zeros"),
]


@pytest.mark.parametrize(("case", "arr", "exc", "msg"), BAD_ARRAYS, ids=[c[0] for c in BAD_ARRAYS])
def test_bad_queries(g: Gallery, case: str, arr: Any, exc: type[Exception], msg: str) -> None:
    with pytest.raises(exc, match=None) as info:
        g.search(arr, 1)
    assert msg in str(info.value) and "queries" in str(info.value)


@pytest.mark.parametrize(("case", "arr", "exc", "msg"), BAD_ARRAYS, ids=[c[0] for c in BAD_ARRAYS])
def test_bad_templates_add_nothing(
    g: Gallery, case: str, arr: Any, exc: type[Exception], msg: str
) -> None:
    n = len(arr) if hasattr(arr, "__len__") else 1
    with pytest.raises(exc) as info:
        g.add([f"new{i}" for i in range(n)], arr)
    assert msg in str(info.value) and "templates" in str(info.value)
    assert len(g) == 2 and g.identities() == ["a", "b"]


@pytest.mark.parametrize("k", [0, -1, 4097, 2**70])
def test_k_out_of_range(g: Gallery, k: int) -> None:
    with pytest.raises(ValueError, match="k"):
        g.search(_rows(), k)


@pytest.mark.parametrize("k", [1.5, "3", None])
def test_k_not_an_int(g: Gallery, k: Any) -> None:
    with pytest.raises(TypeError, match="k must be an int"):
        g.search(_rows(), k)


def test_numpy_integer_k_is_accepted(g: Gallery) -> None:
    assert g.search(_rows(), np.int64(2))[1].shape == (1, 2)


@pytest.mark.parametrize(
    ("ids", "exc", "msg"),
    [
        ("ab", TypeError, "not a single str"),
        ([1], TypeError, "sequence of str"),
        (["x", "y"], ValueError, "1 rows but 2 ids"),
        ([""], ValueError, "empty string"),
    ],
)
def test_bad_ids_add_nothing(g: Gallery, ids: Any, exc: type[Exception], msg: str) -> None:
    with pytest.raises(exc, match=msg):
        g.add(ids, _rows(1))
    assert len(g) == 2


def test_one_bad_row_rejects_the_whole_batch(g: Gallery) -> None:
    m = _rows(3)
    m[2] = 0.0
    with pytest.raises(ValueError, match="row 2"):
        g.add(["c", "d", "e"], m)
    assert g.identities() == ["a", "b"]


@pytest.mark.parametrize(
    ("kwargs", "msg"),
    [
        ({"dim": 0}, "dim"),
        ({"dim": -3}, "dim"),
        ({"dim": 100_000}, "dim"),
        ({"storage": "f16"}, "storage"),
        ({"threads": 0}, "threads"),
        ({"threads": 100_000}, "threads"),
        ({"kernel": "sse9"}, "kernel"),
    ],
)
def test_bad_constructor_arguments(kwargs: dict[str, Any], msg: str) -> None:
    with pytest.raises(ValueError, match=msg):
        Gallery(**kwargs)


def test_kernels_this_cpu_lacks_are_refused() -> None:
    every: tuple[KernelName, ...] = ("scalar", "avx2", "avx512", "neon")
    missing = [k for k in every if k not in Gallery.available_kernels()]
    assert missing, "at least one architecture's kernel is absent on any CPU"
    for k in missing:
        with pytest.raises(ValueError, match="not available"):
            Gallery(DIM, kernel=k)


def test_remove_unknown_id_is_zero_not_an_error(g: Gallery) -> None:
    assert g.remove("nobody") == 0 and len(g) == 2
