"""1:N error rates (NIST FRVT definitions) on searches whose answers are known."""

from __future__ import annotations

import pytest

from lfr.calibration.identification import (
    Search,
    det_curve,
    operating_point,
    still_search,
    summarise,
    threshold_at_fpir,
)


def _searches() -> list:
    mated = [
        still_search("a", "a", 0.70),
        still_search("b", "b", 0.55),
        still_search("c", "x", 0.60),  # a wrong candidate: a miss at any threshold
        still_search("d", "d", 0.40),
    ]
    non_mated = [still_search(None, "a", s) for s in (0.50, 0.45, 0.30, 0.20, 0.10)]
    return mated + non_mated


def test_fnir_fpir_and_rank1_by_the_frvt_definitions() -> None:
    s = _searches()
    point = operating_point(s, 0.5)
    assert point["fnir"] == pytest.approx(2 / 4)  # c (wrong candidate) and d (score 0.40)
    assert point["fpir"] == pytest.approx(1 / 5)  # the non-mated search at 0.50
    lo, hi = point["fpir_ci"]
    assert lo < 0.2 < hi and lo >= 0 and hi <= 1
    summary = summarise(s, [0.5])
    assert summary["rank1"] == pytest.approx(3 / 4)
    assert (summary["mated"], summary["non_mated"]) == (4, 5)


def test_threshold_at_fpir_is_the_lowest_that_meets_it_or_null() -> None:
    s = _searches()
    t = threshold_at_fpir(s, 0.2)  # one false positive of five allowed
    assert t is not None and 0.45 < t <= 0.5 + 1e-9
    assert operating_point(s, t)["fpir"] <= 0.2
    # 5 non-mated searches cannot resolve 1 in 100.
    assert threshold_at_fpir(s, 0.01) is None
    assert summarise(s, [])["fnir_at_fpir"]["0.01"] is None


def test_a_search_that_answers_per_threshold_like_a_video_track() -> None:
    def track(t: float) -> str | None:
        return "z" if t <= 0.4 else None  # alerts for z only below 0.4

    s = [Search(None, track, "z", "g1", (0.4,)), still_search("a", "a", 0.9, "g2")]
    assert operating_point(s, 0.3)["fpir"] == 1.0
    assert operating_point(s, 0.5)["fpir"] == 0.0
    fpir, fnir = det_curve(s)
    assert len(fpir) == len(fnir) and fpir.min() == 0.0 and fpir.max() == 1.0
