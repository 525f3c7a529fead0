"""The per-identity rule, short results, and the gallery's bookkeeping (add / remove / len)."""

from __future__ import annotations

import numpy as np
import pytest
from search_reference import StorageName

from lfr._native import Gallery


def _e(dim: int, *hot: int) -> np.ndarray:
    m = np.zeros((len(hot), dim), dtype=np.float32)
    m[np.arange(len(hot)), hot] = 1.0
    return m


@pytest.mark.parametrize("storage", ["f32", "int8"])
def test_identity_appears_once_with_its_best_template(storage: StorageName) -> None:
    g = Gallery(4, storage=storage)
    # "ann" has three templates (two in one call: a documented repeat, not an error).
    g.add(
        ["ann", "bob", "ann"], np.array([[1, 0, 0, 0], [0.6, 0.8, 0, 0], [0, 0, 1, 0]], np.float32)
    )
    g.add(["ann"], np.array([[0.8, 0.6, 0, 0]], np.float32))
    ids, scores = g.search(np.array([[0, 1, 0, 0]], np.float32), 3)
    assert ids == [["bob", "ann"]]
    np.testing.assert_allclose(scores[0, :2], [0.8, 0.6], atol=1e-6)
    assert scores[0, 2] == -np.inf
    assert len(g) == 4 and g.identities() == ["ann", "bob"]


def test_fewer_identities_than_k_gives_short_lists_and_minus_inf() -> None:
    g = Gallery(8)
    g.add(["a", "b"], _e(8, 0, 1))
    ids, scores = g.search(_e(8, 1, 0, 5), 4)
    assert ids == [["b", "a"], ["a", "b"], ["a", "b"]]
    assert scores.shape == (3, 4) and np.all(np.isneginf(scores[:, 2:]))
    np.testing.assert_array_equal(scores[:2, 0], [1.0, 1.0])
    assert scores[2, 0] == 0.0 and scores[2, 1] == 0.0


def test_ties_break_by_enrolment_order() -> None:
    g = Gallery(4)
    g.add(["late", "early"], _e(4, 1, 2))
    g.add(["third"], _e(4, 3))
    ids, _ = g.search(np.array([[1, 0, 0, 0]], np.float32), 3)  # every score is 0
    assert ids == [["late", "early", "third"]]


def test_scores_are_cosine_whatever_the_scaling() -> None:
    g = Gallery(3)
    g.add(["x"], np.array([[3.0, 4.0, 0.0]], np.float32))
    _, scores = g.search(np.array([[30.0, 40.0, 0.0], [-0.003, -0.004, 0.0]], np.float32), 1)
    np.testing.assert_allclose(scores[:, 0], [1.0, -1.0], atol=1e-6)


@pytest.mark.parametrize("storage", ["f32", "int8"])
def test_remove_returns_count_and_search_forgets(storage: StorageName) -> None:
    rng = np.random.default_rng(1)
    t = rng.standard_normal((50, 16)).astype(np.float32)
    ids = [f"id{i % 10}" for i in range(50)]
    g = Gallery(16, storage=storage)
    g.add(ids, t)
    assert g.remove("id3") == 5
    assert g.remove("id3") == 0
    assert g.remove("nobody") == 0
    assert len(g) == 45 and "id3" not in g.identities()
    found, _ = g.search(t, 10)  # each query is an enrolled template, id3's included
    assert all("id3" not in row for row in found)
    for row, name in enumerate(ids):
        if name != "id3":
            assert found[row][0] == name
    g.add(["id3"], t[3:4])  # re-enrolled: searchable again, now last in enrolment order
    assert g.search(t[3:4], 1)[0] == [["id3"]] and g.identities()[-1] == "id3"


def test_empty_gallery_is_a_documented_result() -> None:
    g = Gallery(16)
    ids, scores = g.search(np.ones((2, 16), np.float32), 3)
    assert ids == [[], []] and scores.shape == (2, 3) and np.all(np.isneginf(scores))
    g.add(["a"], np.ones((1, 16), np.float32))
    g.remove("a")
    assert g.search(np.ones((1, 16), np.float32), 1)[0] == [[]]


def test_zero_queries_and_zero_templates() -> None:
    g = Gallery(4)
    g.add([], np.zeros((0, 4), np.float32))
    assert len(g) == 0
    g.add(["a"], _e(4, 0))
    ids, scores = g.search(np.zeros((0, 4), np.float32), 5)
    assert ids == [] and scores.shape == (0, 5)


def test_read_only_and_sliced_rows_are_accepted_without_copy_requirements() -> None:
    t = np.eye(6, 8, dtype=np.float32)
    t.setflags(write=False)
    g = Gallery(8)
    g.add([f"r{i}" for i in range(6)], t)
    q = np.ascontiguousarray(t[2:4])  # row slices of a C array are themselves C-contiguous
    assert g.search(t[2:4], 1)[0] == g.search(q, 1)[0] == [["r2"], ["r3"]]


def test_properties_and_repr() -> None:
    g = Gallery(storage="int8", threads=1, kernel="scalar")
    assert (g.dim, g.storage, g.threads, g.kernel) == (128, "int8", 1, "scalar")
    assert "Gallery(dim=128" in repr(g)
    assert Gallery().kernel == Gallery.available_kernels()[-1]
    assert "scalar" in Gallery.available_kernels()


def test_concurrent_searches_and_adds_from_threads_agree_with_serial() -> None:
    # search runs with the GIL released behind a read lock; add waits for the write lock.
    from concurrent.futures import ThreadPoolExecutor

    rng = np.random.default_rng(9)
    t = rng.standard_normal((3000, 64)).astype(np.float32)
    g = Gallery(64, threads=2)
    g.add([f"id{i}" for i in range(3000)], t)
    q = rng.standard_normal((16, 64)).astype(np.float32)
    want = g.search(q, 5)[0]
    # Orthogonal to every query (scores ~0), so the extra templates never enter a top-5.
    basis = np.linalg.qr(q.T.astype(np.float64))[0]
    r = rng.standard_normal(64)
    extra = (r - basis @ (basis.T @ r)).astype(np.float32)[None, :]

    def work(i: int) -> list[list[str]]:
        if i % 5 == 0:
            g.add([f"extra{i}"], extra)
        return g.search(q, 5)[0]

    with ThreadPoolExecutor(4) as ex:
        results = list(ex.map(work, range(40)))
    assert all(r == want for r in results)
    assert len(g) == 3008


def test_search_releases_the_gil() -> None:
    # While one thread is inside a long search, another must keep running Python. Were the GIL
    # held, the other thread could run only briefly after the window opens (one switch
    # interval, 5 ms), never in the window's later part.
    import sys
    import threading
    import time

    rng = np.random.default_rng(2)
    g = Gallery(128, threads=1)
    g.add([str(i) for i in range(100_000)], rng.standard_normal((100_000, 128)).astype(np.float32))
    q = rng.standard_normal((256, 128)).astype(np.float32)
    window: list[float] = []
    ticks: list[float] = []
    done = threading.Event()

    def searcher() -> None:
        for _ in range(3):
            t0 = time.perf_counter()
            g.search(q, 10)
            window.extend((t0, time.perf_counter()))
        done.set()

    th = threading.Thread(target=searcher)
    th.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
    th.join()
    slack = 2 * sys.getswitchinterval()
    spans = [(window[i] + slack, window[i + 1]) for i in range(0, len(window), 2)]
    assert all(b - a > 0.005 for a, b in spans), f"searches too short to tell: {spans}"
    inside = sum(1 for t in ticks if any(a < t < b for a, b in spans))
    assert inside > 0
