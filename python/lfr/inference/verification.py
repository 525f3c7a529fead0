"""1:1 verification metrics over labelled pairs (what `lfr eval pairs` reports).

Scores are cosine similarities of L2-normalised templates; a pair is declared "same" when its
score is >= the threshold. Pure numpy, no sklearn: the formulas are short and exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class PairMetrics:
    pairs: int
    positives: int
    negatives: int
    threshold: float
    accuracy: float
    best_threshold: float
    best_accuracy: float
    tar_at_far: dict[str, float]  # "1e-2" -> TAR at the threshold whose FAR <= 1e-2
    roc_auc: float

    def as_dict(self) -> dict[str, object]:
        return dict(self.__dict__)


def accuracy_at(scores: np.ndarray, same: np.ndarray, threshold: float) -> float:
    return float(np.mean((scores >= threshold) == same)) if len(scores) else float("nan")


def best_threshold(scores: np.ndarray, same: np.ndarray) -> tuple[float, float]:
    """(threshold, accuracy) maximising accuracy; thresholds are midpoints between sorted
    scores, so the result does not sit on one pair's score."""
    s = np.sort(np.unique(scores))
    candidates = np.concatenate([[s[0] - 1e-6], (s[:-1] + s[1:]) / 2, [s[-1] + 1e-6]])
    accs = np.array([accuracy_at(scores, same, float(t)) for t in candidates])
    i = int(np.argmax(accs))
    return float(candidates[i]), float(accs[i])


def tar_at_far(scores: np.ndarray, same: np.ndarray, far: float) -> float:
    """True-accept rate at the lowest threshold whose false-accept rate is <= `far`. With n
    negatives, FAR below 1/n means no negative may be accepted at all."""
    neg = np.sort(scores[~same])[::-1]
    pos = scores[same]
    if len(neg) == 0 or len(pos) == 0:
        return float("nan")
    allowed = int(np.floor(far * len(neg)))  # negatives that may score >= threshold
    threshold = neg[allowed] if allowed < len(neg) else -np.inf
    return float(np.mean(pos > threshold))


def roc_auc(scores: np.ndarray, same: np.ndarray) -> float:
    """Probability that a random positive outscores a random negative (ties count half)."""
    pos, neg = scores[same], scores[~same]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    greater = (pos[:, None] > neg[None, :]).sum()
    ties = (pos[:, None] == neg[None, :]).sum()
    return float((greater + 0.5 * ties) / (len(pos) * len(neg)))


def pair_metrics(scores: np.ndarray, same: np.ndarray, threshold: float) -> PairMetrics:
    scores = np.asarray(scores, dtype=np.float64)
    same = np.asarray(same, dtype=bool)
    if len(scores) == 0:
        nan = float("nan")
        return PairMetrics(0, 0, 0, threshold, nan, nan, nan, {"1e-2": nan, "1e-3": nan}, nan)
    best_t, best_acc = best_threshold(scores, same)
    return PairMetrics(
        pairs=len(scores),
        positives=int(same.sum()),
        negatives=int((~same).sum()),
        threshold=threshold,
        accuracy=accuracy_at(scores, same, threshold),
        best_threshold=best_t,
        best_accuracy=best_acc,
        tar_at_far={"1e-2": tar_at_far(scores, same, 1e-2), "1e-3": tar_at_far(scores, same, 1e-3)},
        roc_auc=roc_auc(scores, same),
    )
