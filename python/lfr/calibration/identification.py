"""1:N identification error rates with the NIST FRVT definitions, and their exact intervals.

- A mated search (the probe's identity is in the gallery) is a miss at threshold T unless the
  gallery's answer at T is that identity (rank 1, score at or above T): FNIR(T) = misses /
  mated searches.
- A non-mated search (the probe's identity is not in the gallery) is a false positive at T
  when anything is returned at T: FPIR(T) = false positives / non-mated searches.
- Rank-1 rate: mated searches whose best candidate, whatever its score, is the mate.

A search is anything that can say what it returns at a threshold: a still photo returns its
best candidate when the score clears T; a video track returns what the pipeline's per-track
decision alerts at T. Every rate carries its 95% Clopper-Pearson interval. A rate the data
cannot resolve (FPIR x when fewer than 1/x non-mated searches exist) is null, not a guess.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from lfr.calibration.binomial import clopper_pearson

FPIR_TARGETS = ("0.1", "0.01", "0.001")


@dataclass(frozen=True)
class Search:
    """One search: its truth, and what it returns at a threshold (None: no one)."""

    truth: str | None  # the gallery identity it should find; None for a non-mated search
    returns: Callable[[float], str | None]
    rank1: str | None  # the best candidate regardless of threshold
    group: str | None = None
    # Thresholds at which what it returns can change (a still: its best score).
    breakpoints: tuple[float, ...] = ()

    @property
    def mated(self) -> bool:
        return self.truth is not None


def still_search(
    truth: str | None, best_id: str | None, best_score: float, group: str | None = None
) -> Search:
    """A search with one probe template: its best candidate, returned when it clears T."""

    def returns(t: float) -> str | None:
        return best_id if best_id is not None and best_score >= t else None

    return Search(truth, returns, best_id, group, (best_score,) if best_id is not None else ())


def rate(k: int, n: int) -> tuple[float | None, list[float]]:
    if n == 0:
        return None, [0.0, 1.0]
    low, high = clopper_pearson(k, n)
    return k / n, [low, high]


def operating_point(searches: Sequence[Search], t: float) -> dict[str, Any]:
    mated = [s for s in searches if s.mated]
    non = [s for s in searches if not s.mated]
    misses = sum(1 for s in mated if s.returns(t) != s.truth)
    false = sum(1 for s in non if s.returns(t) is not None)
    fpir, fpir_ci = rate(false, len(non))
    fnir, fnir_ci = rate(misses, len(mated))
    return {"threshold": t, "fpir": fpir, "fpir_ci": fpir_ci, "fnir": fnir, "fnir_ci": fnir_ci}


def threshold_at_fpir(searches: Sequence[Search], target: float) -> float | None:
    """The lowest threshold whose measured FPIR is at most `target`; None when the non-mated
    searches are too few to resolve it (fewer than 1 / target)."""
    non = [s for s in searches if not s.mated]
    if not non or len(non) * target < 1.0:
        return None
    allowed = int(np.floor(target * len(non) + 1e-9))
    for t in candidate_thresholds(non):
        if sum(1 for s in non if s.returns(t) is not None) <= allowed:
            return t
    return None


def candidate_thresholds(searches: Iterable[Search]) -> list[float]:
    """Every threshold at which some search may change its answer, ascending (a breakpoint
    b is tried just above it, where a score of exactly b no longer clears)."""
    points = sorted({b for s in searches for b in s.breakpoints})
    return sorted({float(np.nextafter(b, np.inf)) for b in points} | set(points))


def summarise(searches: Sequence[Search], thresholds: Iterable[float]) -> dict[str, Any]:
    """The figures `lfr eval identify` prints, for one set of searches."""
    mated = [s for s in searches if s.mated]
    hits = sum(1 for s in mated if s.rank1 == s.truth)
    rank1, rank1_ci = rate(hits, len(mated))
    at_fpir = {key: threshold_at_fpir(searches, float(key)) for key in FPIR_TARGETS}
    fnir_at: dict[str, Any] = {}
    for key, t in at_fpir.items():
        if t is None:
            fnir_at[key] = None
            continue
        point = operating_point(searches, t)
        fnir_at[key] = {k: point[k] for k in ("fnir", "fnir_ci", "fpir", "fpir_ci")}
    points = sorted({*thresholds, *(t for t in at_fpir.values() if t is not None)})
    return {
        "mated": len(mated),
        "non_mated": len(searches) - len(mated),
        "rank1": rank1,
        "rank1_ci": rank1_ci,
        "operating_points": [operating_point(searches, t) for t in points],
        "fnir_at_fpir": fnir_at,
        "threshold_at_fpir": at_fpir,
    }


def det_curve(searches: Sequence[Search]) -> tuple[np.ndarray, np.ndarray]:
    """(FPIR, FNIR) at every candidate threshold, for a DET plot."""
    pts = [operating_point(searches, t) for t in candidate_thresholds(searches)]
    fpir = np.array([p["fpir"] if p["fpir"] is not None else np.nan for p in pts])
    fnir = np.array([p["fnir"] if p["fnir"] is not None else np.nan for p in pts])
    return fpir, fnir
