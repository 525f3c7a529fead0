"""From one comparison to one search: thresholds and false-alert rates at a watchlist's size.

A search of a probe that is on no watchlist (a passer-by) against N enrolled templates raises
a false alert when any of the N comparisons reaches the threshold. Taking the comparisons as
independent, with p the per-comparison rate,

    FPIR(t, N) = 1 - (1 - p(t)) ** N          and, inversely,   p = 1 - (1 - FPIR) ** (1 / N)

(about N * p while that is small). Templates of one identity are correlated and an identity
counts once in a search, so counting every template as its own comparison overstates the
rate: the threshold errs towards fewer false alerts. Both directions are computed through
log1p/expm1, since p is often 1e-7 or less.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from lfr.calibration.distribution import Distribution, Estimate, RateOutOfRange


def per_comparison(fpir: float, size: int) -> float:
    """The per-comparison rate that gives `fpir` per search against `size` templates."""
    _check(fpir, size)
    return -math.expm1(math.log1p(-fpir) / size)


def per_search(p: float, size: int) -> float:
    """The per-search rate (FPIR) of a per-comparison rate `p` against `size` templates."""
    if p >= 1.0:
        return 1.0
    return -math.expm1(size * math.log1p(-p)) if size > 0 else 0.0


def _check(fpir: float, size: int) -> None:
    if not 0.0 < fpir < 1.0:
        raise ValueError(f"a false-positive identification rate must be in (0, 1), got {fpir}")
    if size < 1:
        raise ValueError(f"a watchlist size must be at least 1, got {size}")


def threshold_for(dist: Distribution, size: int, fpir: float) -> Estimate:
    """The threshold giving `fpir` per search against `size` templates.

    The interval is the threshold's own: its low end is where the fitted rate would be met
    only if the tail is as light as the lightest plausible fit."""
    return dist.threshold(per_comparison(fpir, size))


def fpir_at(dist: Distribution, size: int, threshold: float) -> Estimate:
    """The expected false-positive identification rate at `threshold` and `size`."""
    rate = dist.rate(threshold)
    return Estimate(
        per_search(rate.value, size),
        per_search(rate.low, size),
        per_search(rate.high, size),
        rate.extrapolated,
    )


@dataclass(frozen=True)
class Calibration:
    """The effective threshold of a watchlist and what it is expected to cost."""

    threshold: float
    source: str  # "calibrated", "watchlist" (its own --threshold) or "override" (config)
    size: int  # templates searched
    target_fpir: float
    # Per passer-by (track), at `threshold` and `size`; None when the model has no reference
    # distribution (then only an explicit threshold can be used, and nothing is known of it).
    expected_fpir: Estimate | None
    calibrated_threshold: Estimate | None  # what the target gives, when it could be computed
    note: str = ""  # why expected_fpir or calibrated_threshold is missing

    def as_dict(self) -> dict[str, Any]:
        e = self.expected_fpir
        return {
            "threshold": self.threshold,
            "threshold_source": self.source,
            "size": self.size,
            "target_fpir": self.target_fpir,
            "expected_fpir": None if e is None else e.value,
            "expected_fpir_interval": None if e is None else [e.low, e.high],
            "extrapolated": None if e is None else e.extrapolated,
            "calibrated_threshold": (
                None if self.calibrated_threshold is None else self.calibrated_threshold.value
            ),
        }

    def describe(self) -> str:
        """One line for a log or a warning: the threshold and the false alerts to expect."""
        how = {
            "calibrated": f"calibrated for {self.target_fpir:g} false alerts per passer-by",
            "watchlist": "set on the watchlist, not calibrated",
            "override": "overridden for this run (configuration or --threshold), not calibrated",
        }[self.source]
        head = f"threshold {self.threshold:.3f} ({how}) at {self.size} template(s): "
        e = self.expected_fpir
        if e is None:
            return head + f"false alerts to expect unknown ({self.note})"
        return head + (
            f"expect {per_thousand(e.value)} false alerts per 1,000 passers-by (95% interval "
            f"{per_thousand(e.low)} to {per_thousand(e.high)}"
            f"{', extrapolated beyond the reference data' if e.extrapolated else ''})"
        )


def calibrate(
    dist: Distribution,
    size: int,
    target_fpir: float,
    *,
    explicit: float | None = None,
    source: str = "watchlist",
) -> Calibration:
    """The effective threshold: `explicit` when given (from `source`), else the one the
    target gives at this size. An empty watchlist can alert on nobody: it is priced at one
    template so that the threshold is ready for the first enrolment."""
    size = max(int(size), 1)
    try:
        calibrated: Estimate | None = threshold_for(dist, size, target_fpir)
    except RateOutOfRange:
        if explicit is None:
            raise
        calibrated = None
    if explicit is None:
        assert calibrated is not None
        threshold, source = calibrated.value, "calibrated"
    else:
        threshold = float(explicit)
    return Calibration(
        threshold=threshold,
        source=source,
        size=size,
        target_fpir=target_fpir,
        expected_fpir=fpir_at(dist, size, threshold),
        calibrated_threshold=calibrated,
    )


def per_thousand(rate: float) -> str:
    """A rate as a count per 1,000, readable at any magnitude."""
    value = 1000.0 * rate
    if value == 0.0:
        return "0"
    if value >= 10:
        return f"{value:.0f}"
    return f"{value:.2g}"
