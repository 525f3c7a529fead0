"""Thresholds that follow a watchlist's size: the model's reference distributions of
different-person scores, their tail model, and the rates and thresholds derived from them;
plus the 1:N error rates and their exact intervals that `lfr eval identify` reports.

Pure numpy over a data file beside the model manifest: nothing here sees a face.
"""

from lfr.calibration.distribution import Distribution, Estimate, RateOutOfRange
from lfr.calibration.effective import effective_threshold
from lfr.calibration.rates import (
    Calibration,
    calibrate,
    fpir_at,
    per_comparison,
    per_search,
    per_thousand,
    threshold_for,
)
from lfr.calibration.reference import CalibrationError, Reference, load_reference

__all__ = [
    "Calibration",
    "CalibrationError",
    "Distribution",
    "Estimate",
    "RateOutOfRange",
    "Reference",
    "calibrate",
    "effective_threshold",
    "fpir_at",
    "load_reference",
    "per_comparison",
    "per_search",
    "per_thousand",
    "threshold_for",
]
