"""A watchlist's effective threshold, from what the store knows of it: its size, its target
and any explicit threshold. One function, used wherever the threshold matters (loading a
watchlist for the cameras, the look-alike check at enrolment, the report), so all of them
use the same number."""

from __future__ import annotations

from lfr.calibration.rates import Calibration, calibrate
from lfr.calibration.reference import CalibrationError, load_reference


def effective_threshold(
    model_id: str,
    size: int,
    target_fpir: float,
    *,
    explicit: float | None = None,
    source: str = "watchlist",
    name: str = "",
) -> Calibration:
    """`explicit` (from `source`: "watchlist" or "override") when given, else the threshold
    calibrated for `target_fpir` per passer-by at `size` templates. Without a usable reference
    distribution for the model only an explicit threshold can be used; its expected rate is
    then unknown. Raises CalibrationError when there is neither."""
    try:
        track = load_reference(model_id).track
    except CalibrationError as exc:
        if explicit is None:
            raise CalibrationError(
                f"watchlist {name!r} has no threshold of its own and {exc}"
            ) from exc
        return Calibration(explicit, source, max(size, 1), target_fpir, None, None, str(exc))
    return calibrate(track, size, target_fpir, explicit=explicit, source=source)
