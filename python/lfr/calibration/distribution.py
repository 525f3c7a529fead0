"""One reference distribution of different-person scores: what the data show, and the tail
model beyond them.

A `Distribution` answers two questions, each with a 95% interval and a flag saying whether the
answer is extrapolated (fewer than `MIN_OBSERVED` different-person comparisons reached the
score, so only the tail model speaks for it):
- `rate(t)`: the probability that one comparison scores at least t;
- `threshold(p)`: the score that one comparison reaches with probability p.

At and below the tail's lower edge `u` the answer is the data's own (the empirical rate, with a
Clopper-Pearson interval); above it, the generalised Pareto fit, with the interval spanned by
the fits to bootstrap resamples of the identities (pairs that share a person are not
independent, so people, not pairs, are resampled).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Any

import numpy as np

from lfr.calibration.binomial import clopper_pearson
from lfr.calibration.tail import TailModel
from lfr.errors import InputError

# Below this many observed comparisons at a score, a rate there is called extrapolated.
MIN_OBSERVED = 10
# The smallest per-comparison rate lfr will quote at all, extrapolated or not.
RATE_FLOOR = 1e-12


class RateOutOfRange(InputError):
    """The rate asked for is beyond what the reference can speak to."""


@dataclass(frozen=True)
class Estimate:
    """A value with its 95% interval and whether it rests on the tail model alone."""

    value: float
    low: float
    high: float
    extrapolated: bool

    def as_dict(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "interval": [self.low, self.high],
            "extrapolated": self.extrapolated,
        }


@dataclass(frozen=True)
class Distribution:
    name: str
    description: str
    comparisons: int
    body: tuple[tuple[float, float], ...]  # (score, rate) with rate >= tail.p_u, score ascending
    top: tuple[float, ...]  # the highest observed scores, descending
    tail: TailModel
    bootstrap: tuple[TailModel, ...]

    @classmethod
    def from_dict(cls, name: str, raw: dict[str, Any]) -> Distribution:
        return cls(
            name=name,
            description=str(raw["description"]),
            comparisons=int(raw["comparisons"]),
            body=tuple((float(s), float(r)) for s, r in raw["body"]),
            top=tuple(float(s) for s in raw["top"]),
            tail=TailModel(*map(float, raw["tail"])),
            bootstrap=tuple(TailModel(*map(float, b)) for b in raw["bootstrap"]),
        )

    # --- what the data resolve ------------------------------------------------------------
    @property
    def resolvable_rate(self) -> float:
        """The lowest rate the data show directly (MIN_OBSERVED comparisons at or above it)."""
        return MIN_OBSERVED / self.comparisons

    def observed(self, t: float) -> int:
        """Comparisons at or above t, where the stored top scores tell (else a lower bound)."""
        neg = [-s for s in self.top]
        return bisect.bisect_right(neg, -t)

    # --- rate at a threshold --------------------------------------------------------------
    def rate(self, t: float) -> Estimate:
        t = float(t)
        if t <= self.tail.u:
            value = self._body_rate(t)
            k = round(value * self.comparisons)
            low, high = clopper_pearson(k, self.comparisons)
            return Estimate(value, low, high, False)
        value = self.tail.exceedance(t)
        reps = sorted(b.exceedance(t) for b in self.bootstrap)
        low, high = _percentiles(reps)
        return Estimate(value, min(low, value), max(high, value), self.observed(t) < MIN_OBSERVED)

    def _body_rate(self, t: float) -> float:
        scores = [s for s, _ in self.body]
        rates = [r for _, r in self.body]
        if t <= scores[0]:
            return rates[0]
        return float(np.interp(t, scores, rates))

    # --- threshold at a rate --------------------------------------------------------------
    def threshold(self, p: float) -> Estimate:
        p = float(p)
        top_rate = self.body[0][1]
        if not RATE_FLOOR <= p <= top_rate:
            raise RateOutOfRange(
                f"a per-comparison rate of {p:.3g} is outside what the reference can speak "
                f"to ({RATE_FLOOR:g} to {top_rate:.3g})"
            )
        if p >= self.tail.p_u:
            value = self._body_threshold(p)
            k = round(p * self.comparisons)
            lo_rate, hi_rate = clopper_pearson(k, self.comparisons)
            # A higher rate bound means a lower threshold, and vice versa.
            low = self._body_threshold(min(hi_rate, top_rate))
            high = self._body_threshold(max(lo_rate, self.tail.p_u))
            return Estimate(value, low, high, False)
        value = self.tail.quantile(p)
        reps = sorted(b.quantile(p) for b in self.bootstrap if p <= b.p_u)
        low, high = _percentiles(reps) if reps else (value, value)
        return Estimate(value, min(low, value), max(high, value), p < self.resolvable_rate)

    def _body_threshold(self, p: float) -> float:
        scores = [s for s, _ in self.body]
        rates = [r for _, r in self.body]
        # Rates fall as scores rise: interpolate on the reversed (ascending-rate) arrays.
        return float(np.interp(p, rates[::-1], scores[::-1]))


def _percentiles(sorted_values: list[float]) -> tuple[float, float]:
    arr = np.asarray(sorted_values, dtype=np.float64)
    return float(np.quantile(arr, 0.025)), float(np.quantile(arr, 0.975))
