"""Verification metrics on hand-made scores whose answers are known."""

from __future__ import annotations

import numpy as np
import pytest

from lfr.inference.verification import (
    accuracy_at,
    best_threshold,
    pair_metrics,
    roc_auc,
    tar_at_far,
)

SCORES = np.array([0.9, 0.8, 0.7, 0.35, 0.5, 0.3, 0.2, 0.1, 0.05, 0.0])
SAME = np.array([1, 1, 1, 1, 0, 0, 0, 0, 0, 0], dtype=bool)


def test_accuracy_at_threshold() -> None:
    assert accuracy_at(SCORES, SAME, 0.363) == pytest.approx(0.8)  # 0.35 missed, 0.5 accepted
    assert accuracy_at(SCORES, SAME, 0.6) == pytest.approx(0.9)


def test_best_threshold_separates_when_possible() -> None:
    t, acc = best_threshold(SCORES, SAME)
    assert acc == pytest.approx(0.9)  # one error is unavoidable: 0.35 same vs 0.5 different
    assert 0.3 < t < 0.35 or 0.5 < t < 0.7  # a midpoint, never a pair's own score
    assert accuracy_at(SCORES, SAME, t) == acc
    t2, acc2 = best_threshold(SCORES[SAME | (SCORES < 0.4)], SAME[SAME | (SCORES < 0.4)])
    assert acc2 == 1.0 and 0.3 < t2 < 0.35


def test_tar_at_far() -> None:
    # 6 negatives: FAR 1e-2 allows none; the best negative is 0.5, so positives > 0.5 count
    assert tar_at_far(SCORES, SAME, 1e-2) == pytest.approx(0.75)
    assert tar_at_far(SCORES, SAME, 0.2) == pytest.approx(
        1.0
    )  # one negative allowed: 0.3 is the bar


def test_roc_auc() -> None:
    assert roc_auc(SCORES, SAME) == pytest.approx(23 / 24)  # only (0.35, 0.5) is mis-ordered
    assert roc_auc(np.array([0.5, 0.5]), np.array([True, False])) == pytest.approx(0.5)


def test_pair_metrics_bundle() -> None:
    m = pair_metrics(SCORES, SAME, 0.363)
    assert (m.pairs, m.positives, m.negatives) == (10, 4, 6)
    assert set(m.tar_at_far) == {"1e-2", "1e-3"}
    assert np.isnan(pair_metrics(np.array([]), np.array([], bool), 0.363).accuracy)
