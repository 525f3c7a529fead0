"""The gallery reads queries and templates in any numpy layout right or refuses them, and sizes
its [n, k] result before searching: nothing a caller passes can raise a `PanicException` or
abort the process on an allocation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lfr._native import Gallery

DIM = 8
RNG = np.random.default_rng(3)
TEMPLATES = RNG.normal(size=(5, DIM)).astype(np.float32)
IDS = ["a", "b", "c", "d", "e"]


def _gallery() -> Gallery:
    g = Gallery(DIM)
    g.add(IDS, TEMPLATES)
    return g


def _views(a: np.ndarray) -> dict[str, np.ndarray]:
    raw = np.zeros(a.nbytes + 1, np.uint8)
    unaligned = np.frombuffer(raw.data, a.dtype, count=a.size, offset=1).reshape(a.shape)
    unaligned[...] = a
    return {
        "fortran": np.asfortranarray(a),
        "transposed back": np.ascontiguousarray(a.T).T,
        "negative rows": np.ascontiguousarray(a[::-1])[::-1],
        "strided columns": np.repeat(a, 2, axis=1)[:, ::2],
        "one row, negative stride": np.ascontiguousarray(a[:1])[::-1],
        "unaligned": unaligned,
    }


@pytest.mark.parametrize("layout", sorted(_views(TEMPLATES)))
def test_search_reads_any_layout_right_or_refuses_it(layout: str) -> None:
    g = _gallery()
    queries = _views(TEMPLATES)[layout]
    want_ids, want = g.search(np.array(queries, order="C"), 3)
    try:
        ids, scores = g.search(queries, 3)
    except ValueError as exc:
        assert "C-contiguous" in str(exc)
        return
    assert ids == want_ids
    np.testing.assert_array_equal(scores, want)


@pytest.mark.parametrize("layout", sorted(_views(TEMPLATES)))
def test_add_reads_any_layout_right_or_refuses_it(layout: str) -> None:
    templates = _views(TEMPLATES)[layout]
    g, reference = Gallery(DIM), Gallery(DIM)
    ids = IDS[: len(templates)]
    reference.add(ids, np.array(templates, order="C"))
    try:
        g.add(ids, templates)
    except ValueError as exc:
        assert "C-contiguous" in str(exc) and len(g) == 0
        return
    probe = np.array(templates, order="C")
    assert g.search(probe, 2)[0] == reference.search(probe, 2)[0]


def test_a_result_too_big_to_allocate_is_refused_before_searching() -> None:
    g = Gallery(1)
    g.add(["x"], np.ones((1, 1), np.float32))
    queries = np.ones((2**22, 1), np.float32)  # 16 MiB of queries, k=4096: 64 GiB of scores
    with pytest.raises(ValueError, match="search in batches"):
        g.search(queries, 4096)
    ids, scores = g.search(queries[:1000], 4096)  # 16 MiB of scores: fine
    assert scores.shape == (1000, 4096) and ids[0] == ["x"]
    assert np.isneginf(scores[:, 1:]).all()


@settings(max_examples=100, deadline=None)
@given(
    rows=st.integers(0, 6),
    cols=st.integers(0, 2 * DIM),
    step=st.sampled_from([1, 2, -1]),
    col_step=st.sampled_from([1, 2, -1]),
    order=st.sampled_from(["C", "F"]),
    k=st.integers(-2, 5000),
)
def test_no_queries_make_the_search_panic(
    rows: int, cols: int, step: int, col_step: int, order: str, k: int
) -> None:
    g = _gallery()
    base = np.asarray(RNG.normal(size=(rows, cols)).astype(np.float32), order=order)
    queries = base[::step, ::col_step]
    try:
        ids, scores = g.search(queries, k)
    except (ValueError, TypeError):
        return
    assert scores.shape == (queries.shape[0], k) and len(ids) == queries.shape[0]
    _, want = g.search(np.array(queries, order="C"), k)
    np.testing.assert_array_equal(scores, want)
