"""Gallery.search against numpy (matmul + argsort) on random data, for every kernel this CPU
runs, both storages, several n / dim / k / batch sizes and thread counts."""

from __future__ import annotations

import numpy as np
import pytest
from search_reference import KernelName, identity_scores, random_templates, reference_search

from lfr._native import Gallery

KERNELS = Gallery.available_kernels()
TOL = 2e-5  # f32 accumulation vs the float64 reference

SHAPES = [
    # (templates, identities, dim, k, queries)
    (1, 1, 8, 1, 1),
    (17, 17, 32, 5, 3),
    (300, 120, 100, 7, 9),  # dim not a multiple of 4 or 16; several templates per identity
    (2000, 2000, 128, 10, 8),
    (5000, 1500, 512, 20, 65),  # more than one query tile
]


def _check(g: Gallery, ids: list[str], t: np.ndarray, q: np.ndarray, k: int) -> None:
    got_ids, got_scores = g.search(q, k)
    want_ids, want_scores = reference_search(ids, t, q, k)
    assert got_scores.dtype == np.float32 and got_scores.shape == (len(q), k)
    np.testing.assert_allclose(got_scores, want_scores, atol=TOL, rtol=0)
    for row in range(len(q)):
        assert len(got_ids[row]) == len(want_ids[row])
        assert len(set(got_ids[row])) == len(got_ids[row]), "one entry per identity"
        truth = identity_scores(ids, t, q[row])
        for name, score in zip(got_ids[row], got_scores[row], strict=False):
            assert abs(truth[name] - score) <= TOL, (row, name)
        # Ids agree wherever the reference order is not a near-tie.
        for j, (a, b) in enumerate(zip(got_ids[row], want_ids[row], strict=False)):
            gap = np.abs(want_scores[row] - want_scores[row, j])
            if np.sum(gap <= 2 * TOL) == 1:
                assert a == b, (row, j)


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize(("n", "n_ids", "dim", "k", "nq"), SHAPES)
def test_f32_search_matches_numpy(
    kernel: KernelName, n: int, n_ids: int, dim: int, k: int, nq: int
) -> None:
    rng = np.random.default_rng(n * 7919 + dim)
    t = random_templates(rng, n, dim)
    ids = [f"id{i % n_ids}" for i in range(n)]
    q = random_templates(rng, nq, dim)
    for threads in (1, 2):
        g = Gallery(dim, threads=threads, kernel=kernel)
        g.add(ids, t)
        assert g.kernel == kernel and len(g) == n
        _check(g, ids, t, q, k)


@pytest.mark.parametrize("kernel", KERNELS)
def test_int8_search_is_exact_after_rerank_on_small_galleries(kernel: KernelName) -> None:
    # With fewer identities than re-rank candidates (k + 32), every identity is re-scored in f32.
    rng = np.random.default_rng(5)
    t = random_templates(rng, 90, 64)
    ids = [f"p{i % 30}" for i in range(90)]
    q = random_templates(rng, 12, 64)
    g = Gallery(64, storage="int8", kernel=kernel)
    g.add(ids, t)
    assert g.storage == "int8"
    _check(g, ids, t, q, 8)


@pytest.mark.parametrize("kernel", KERNELS)
def test_int8_recall_at_10_on_a_larger_gallery(kernel: KernelName) -> None:
    rng = np.random.default_rng(11)
    n, dim, k = 20_000, 128, 10
    t = random_templates(rng, n, dim)
    ids = [f"p{i}" for i in range(n)]
    picks = rng.integers(0, n, 40)
    q = (t[picks] + 0.8 * rng.standard_normal((40, dim))).astype(np.float32)  # noisy probes
    exact, compact = Gallery(dim, kernel=kernel), Gallery(dim, storage="int8", kernel=kernel)
    exact.add(ids, t)
    compact.add(ids, t)
    e_ids, _e_scores = exact.search(q, k)
    c_ids, c_scores = compact.search(q, k)
    assert [r[0] for r in c_ids] == [f"p{p}" for p in picks]
    hits = sum(len(set(a) & set(b)) for a, b in zip(e_ids, c_ids, strict=False))
    assert hits / (len(q) * k) >= 0.99
    # Whatever the int8 scan picked is reported with its exact f32 score.
    for row in range(len(q)):
        truth = identity_scores(ids, t, q[row])
        for name, s in zip(c_ids[row], c_scores[row], strict=False):
            assert abs(truth[name] - s) <= TOL


def test_results_do_not_depend_on_kernel_or_threads() -> None:
    rng = np.random.default_rng(3)
    t = random_templates(rng, 4000, 128)
    ids = [f"id{i % 900}" for i in range(4000)]
    q = random_templates(rng, 20, 128)
    results = []
    for kernel in KERNELS:
        for threads in (1, 2):
            g = Gallery(128, threads=threads, kernel=kernel)
            g.add(ids, t)
            results.append(g.search(q, 10))
    for other_ids, other_scores in results[1:]:
        assert other_ids == results[0][0]
        assert np.array_equal(other_scores, results[0][1])  # bit-identical across kernels
