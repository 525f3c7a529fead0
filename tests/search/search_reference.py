"""The numpy reference the native gallery is checked against: normalise, matmul, best template
per identity, sort by (score desc, enrolment order)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
import numpy.typing as npt

KernelName = Literal["auto", "scalar", "avx2", "avx512", "neon"]
StorageName = Literal["f32", "int8"]


def random_templates(rng: np.random.Generator, n: int, dim: int) -> npt.NDArray[np.float32]:
    return rng.standard_normal((n, dim)).astype(np.float32)


def reference_search(
    ids: Sequence[str], templates: npt.NDArray[np.float32], queries: npt.NDArray[np.float32], k: int
) -> tuple[list[list[str]], npt.NDArray[np.float64]]:
    """Exact top-k identities per query in float64, one entry per identity."""
    order = list(dict.fromkeys(ids))  # enrolment order = tie-break order
    slot = np.array([order.index(i) for i in ids]) if len(ids) else np.zeros(0, dtype=int)
    g = templates.astype(np.float64)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    q = queries.astype(np.float64)
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    scores = q @ g.T  # [nq, n]
    best = np.full((len(queries), len(order)), -np.inf)
    for s in range(len(order)):
        best[:, s] = scores[:, slot == s].max(axis=1)
    out_ids: list[list[str]] = []
    out_scores = np.full((len(queries), k), -np.inf)
    for row in range(len(queries)):
        rank = np.lexsort((np.arange(len(order)), -best[row]))[:k]
        out_ids.append([order[s] for s in rank])
        out_scores[row, : len(rank)] = best[row, rank]
    return out_ids, out_scores


def identity_scores(
    ids: Sequence[str], templates: npt.NDArray[np.float32], query: npt.NDArray[np.float32]
) -> dict[str, float]:
    """Best cosine per identity for one query, in float64."""
    g = templates.astype(np.float64)
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    q = query.astype(np.float64) / np.linalg.norm(query)
    s = g @ q
    best: dict[str, float] = {}
    for name, v in zip(ids, s, strict=False):
        best[name] = max(best.get(name, -np.inf), float(v))
    return best
