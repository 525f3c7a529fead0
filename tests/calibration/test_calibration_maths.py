"""The calibration maths: the tail fit, exact binomial intervals, one comparison to one search,
and the shipped reference distribution."""

from __future__ import annotations

import hashlib
import json
import math
import shutil
from pathlib import Path

import numpy as np
import pytest

from lfr.calibration import (
    CalibrationError,
    RateOutOfRange,
    calibrate,
    fpir_at,
    load_reference,
    per_comparison,
    per_search,
    threshold_for,
)
from lfr.calibration.binomial import clopper_pearson
from lfr.calibration.build import distribution_from_pairs
from lfr.calibration.reference import reference_path
from lfr.calibration.tail import TailModel, fit_gpd, fit_tail


def _gpd_sample(xi: float, sigma: float, n: int, seed: int) -> np.ndarray:
    u = np.random.default_rng(seed).uniform(size=n)
    return sigma / xi * (u ** (-xi) - 1) if xi else -sigma * np.log(u)


@pytest.mark.parametrize(("xi", "sigma"), [(-0.2, 0.05), (0.0, 0.03), (0.15, 0.02)])
def test_gpd_fit_recovers_known_tails(xi: float, sigma: float) -> None:
    got_xi, got_sigma = fit_gpd(_gpd_sample(xi, sigma, 20_000, seed=1))
    assert got_xi == pytest.approx(xi, abs=0.03)
    assert got_sigma == pytest.approx(sigma, rel=0.05)


def test_tail_model_extrapolates_a_gaussian_within_a_factor() -> None:
    """Fitted on the top 1e-3 of 2M normal scores, the model still speaks for 1e-7, two
    decades below anything observed, within a factor of two of the true rate."""
    scores = np.random.default_rng(2).standard_normal(2_000_000)
    model = fit_tail(scores, 1e-3)
    true_rate = 0.5 * math.erfc(5.2 / math.sqrt(2))  # ~1e-7
    assert 0.5 < model.exceedance(5.2) / true_rate < 2.0
    for p in (1e-3, 1e-5, 1e-8):
        assert model.exceedance(model.quantile(p)) == pytest.approx(p, rel=1e-9)
    assert model.exceedance(model.end_point + 1) == 0.0


def test_fit_needs_enough_excesses() -> None:
    with pytest.raises(ValueError, match="too few"):
        fit_gpd(np.array([0.1, 0.2, 0.3]))


def test_clopper_pearson_matches_published_values_and_covers() -> None:
    # Reference values (R binom.test / scipy.stats.binomtest): exact to 1e-6.
    assert clopper_pearson(0, 10) == pytest.approx((0.0, 0.3084971), abs=1e-6)
    assert clopper_pearson(1, 10) == pytest.approx((0.0025286, 0.4450161), abs=1e-6)
    assert clopper_pearson(5, 10) == pytest.approx((0.1870860, 0.8129140), abs=1e-6)
    assert clopper_pearson(10, 10) == pytest.approx((0.6915029, 1.0), abs=1e-6)
    # Coverage: the interval holds the true rate in at least ~95% of draws.
    rng = np.random.default_rng(3)
    for p, n in ((0.02, 300), (0.3, 40)):
        hits = sum(
            lo <= p <= hi
            for lo, hi in (clopper_pearson(int(k), n) for k in rng.binomial(n, p, 400))
        )
        assert hits >= 0.93 * 400
    assert clopper_pearson(0, 0) == (0.0, 1.0)
    with pytest.raises(ValueError):
        clopper_pearson(3, 2)


def test_one_comparison_to_one_search_and_back_at_tiny_rates() -> None:
    p = per_comparison(1e-4, 1000)
    assert p == pytest.approx(1.0000500e-7, rel=1e-6)  # a naive 1-(1-F)**(1/N) loses digits
    assert per_search(p, 1000) == pytest.approx(1e-4, rel=1e-9)
    assert per_search(0.5, 0) == 0.0 and per_search(1.0, 3) == 1.0
    with pytest.raises(ValueError):
        per_comparison(0.0, 10)
    with pytest.raises(ValueError):
        per_comparison(0.1, 0)


def test_shipped_reference_thresholds_follow_the_size() -> None:
    ref = load_reference()
    track = ref.track
    sizes = (1, 10, 100, 1000, 10_000)
    thresholds = [threshold_for(track, n, 1e-4).value for n in sizes]
    assert thresholds == sorted(thresholds) and thresholds[-1] - thresholds[0] > 0.1
    at_1000 = threshold_for(track, 1000, 1e-4)
    # The check: Miranda's Hamilton tracks fused at about 0.625 and 0.53 against
    # ~1,800 templates, every other track of both clips at 0.456 or below.
    assert 0.46 < at_1000.value < 0.625
    assert at_1000.extrapolated and at_1000.low < at_1000.value < at_1000.high
    assert not threshold_for(track, 10, 0.1).extrapolated
    back = fpir_at(track, 1000, at_1000.value)
    assert back.value == pytest.approx(1e-4, rel=1e-3) and back.extrapolated
    # The fixed 1:1 threshold at 1,000 identities: most passers-by would alert.
    assert fpir_at(ref.still, 1000, 0.363).value > 0.5
    with pytest.raises(RateOutOfRange):
        threshold_for(track, 10**9, 1e-6)


def test_shipped_reference_agrees_with_its_held_back_pairs() -> None:
    """The reference was checked against the evaluation identities it never saw: at every
    level the data resolve, the observed count lies in the predicted 95% interval widened by
    the count's own Poisson noise."""
    for name, check in load_reference().checks["held_back"].items():
        for level in check["levels"]:
            lo, hi = level["predicted_interval"]
            noise = 2.5 * math.sqrt(max(level["predicted"], 1.0))
            assert lo - noise <= level["observed"] <= hi + noise, (name, level)


def test_calibrate_explicit_threshold_reports_its_expected_rate() -> None:
    track = load_reference().track
    auto = calibrate(track, 1000, 1e-4)
    fixed = calibrate(track, 1000, 1e-4, explicit=0.363, source="override")
    assert auto.source == "calibrated" and auto.threshold == auto.calibrated_threshold.value  # type: ignore[union-attr]
    assert fixed.source == "override" and fixed.threshold == 0.363
    assert fixed.expected_fpir is not None and fixed.expected_fpir.value > 0.5
    assert "overridden" in fixed.describe() and "per 1,000 passers-by" in fixed.describe()
    assert calibrate(track, 0, 1e-4).size == 1  # an empty list is priced at one template


def test_reference_is_refused_when_altered_or_for_another_model(tmp_path: Path) -> None:
    path, digest = reference_path()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == digest
    model = load_reference().model_id
    with pytest.raises(CalibrationError, match="computed for"):
        load_reference("sface-2021dec+deadbeef")
    copy = tmp_path / "ref.json"
    shutil.copy(path, copy)
    assert load_reference(model, path=copy, sha256=digest).model_id == model
    raw = json.loads(copy.read_text())
    raw["distributions"]["track"]["tail"][0] -= 0.05  # a lower threshold for everyone
    copy.write_text(json.dumps(raw))
    with pytest.raises(CalibrationError, match="sha256"):
        load_reference(model, path=copy, sha256=digest)
    copy.write_text("{not json")
    with pytest.raises(CalibrationError, match="malformed"):
        load_reference(path=copy)


def test_distribution_from_pairs_resamples_the_pairs() -> None:
    scores = np.random.default_rng(4).normal(0.08, 0.09, 5000)
    dist = distribution_from_pairs(scores)
    assert dist.comparisons == 5000 and len(dist.bootstrap) == 200
    est = dist.threshold(1e-2)
    assert est.value == pytest.approx(float(np.quantile(scores, 0.99)), abs=0.01)
    assert not est.extrapolated and dist.threshold(1e-5).extrapolated
    assert isinstance(dist.tail, TailModel)
