"""Building a reference distribution from different-person scores: the empirical curve, the
highest scores and the tail fit, with fits to bootstrap resamples for its interval.

Used by `benches/calibrate_reference.py` (resamples of identities) and by
`lfr eval threshold --pairs` (resamples of pairs, when a pairs file names no identities).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from lfr.calibration.distribution import Distribution
from lfr.calibration.tail import fit_tail

# The tail fit wants about this many excesses over its lower edge u, and never less than 10.
MIN_EXCESSES = 1000
BODY_POINTS = 60


def tail_fraction(n: int) -> float:
    """The share of the scores the tail model covers: at least 1e-3, enough for
    MIN_EXCESSES excesses where the data allow, at most a half."""
    return min(max(1e-3, MIN_EXCESSES / n, 10.5 / n), 0.5)


def describe_scores(
    description: str, scores: np.ndarray, resamples: Sequence[np.ndarray]
) -> dict[str, Any]:
    """The JSON form a `Distribution` is read from."""
    s = np.asarray(scores, dtype=np.float64)
    n = len(s)
    if n < 21:
        raise ValueError(f"{n} different-person scores are too few for a distribution")
    frac = tail_fraction(n)
    tail = fit_tail(s, frac)
    reps = [fit_tail(np.asarray(b, dtype=np.float64), frac).as_list() for b in resamples]
    rates = np.geomspace(min(0.5, 1.0 - 1.0 / n), tail.p_u, BODY_POINTS)
    body = np.quantile(s, 1.0 - rates)
    return {
        "description": description,
        "comparisons": int(n),
        "body": [[round(float(v), 6), float(r)] for v, r in zip(body, rates, strict=True)],
        "top": [round(float(v), 6) for v in np.sort(s[s >= tail.u])[::-1]],
        "tail": tail.as_list(),
        "tail_fraction": frac,
        "bootstrap": reps,
    }


def distribution_from_pairs(
    scores: np.ndarray, *, replicates: int = 200, seed: int = 0, name: str = "pairs"
) -> Distribution:
    """A distribution of the given different-person scores, its interval from resampling the
    pairs (which treats them as independent: an interval too narrow where pairs share a
    person)."""
    s = np.asarray(scores, dtype=np.float64)
    rng = np.random.default_rng(seed)
    resamples = [s[rng.integers(0, len(s), len(s))] for _ in range(replicates)]
    raw = describe_scores(f"{len(s)} different-person pairs given", s, resamples)
    return Distribution.from_dict(name, raw)
