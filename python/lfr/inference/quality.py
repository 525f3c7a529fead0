"""Face quality: is this face worth a template, and is this photo fit to enrol?

Measures (all cheap, from what detection and alignment already produced):
- inter_eye_px: distance between the eye landmarks in the original image. Recognition needs
  resolution; below ~20 px SFace templates become unreliable, and ISO/IEC 19794-5 asks for 60+
  px for enrolment-grade photos.
- det_score: YuNet's confidence (sqrt(cls * obj)).
- yaw/pitch/roll (degrees): a geometric estimate from the 5 landmarks, not a head-pose model.
  roll = angle of the eye line; yaw from how far the nose sits off the eyes' midline relative
  to half the eye distance (asin); pitch from where the nose sits between the eye line and the
  mouth line (0 at the template's ratio). Good to roughly +-10 degrees, enough to gate.
- sharpness: variance of the Laplacian of the aligned crop's grey level (blur lowers it).

`score` (0..1) is the product of four factors, each 0..1: resolution (inter-eye px ramping
from 10 to 40), detector confidence (ramping from 0.5 to 0.9), frontalness (cosine falloff:
1 at 0 degrees, 0 at 60 degrees of yaw or pitch) and sharpness (ramping from 20 to 200;
sharp real photos score 180-2000, a face blurred by a ~7 px kernel about 50). Read
it as "probability-like usefulness for matching": 0 means skip the probe, >= 0.5 means a
template worth computing at full weight. It is a gate, not a calibrated probability.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from lfr.inference.align import TEMPLATE

# Where the nose sits between the eye line (0) and the mouth line (1) on the frontal template.
_NOSE_RATIO = float(
    (TEMPLATE[2, 1] - TEMPLATE[:2, 1].mean()) / (TEMPLATE[3:, 1].mean() - TEMPLATE[:2, 1].mean())
)


@dataclass(frozen=True)
class Quality:
    inter_eye_px: float
    det_score: float
    yaw_deg: float
    pitch_deg: float
    roll_deg: float
    sharpness: float
    score: float

    def as_dict(self) -> dict[str, float]:
        return {k: round(float(v), 4) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class EnrolmentPolicy:
    """Minimums for a watchlist photo; a probe is never refused, only scored."""

    min_inter_eye_px: float = 30.0
    min_det_score: float = 0.7
    max_yaw_deg: float = 30.0
    max_pitch_deg: float = 35.0
    max_roll_deg: float = 30.0
    min_sharpness: float = 50.0


def _ramp(x: float, lo: float, hi: float) -> float:
    return float(min(max((x - lo) / (hi - lo), 0.0), 1.0))


def pose_from_landmarks(lm: np.ndarray) -> tuple[float, float, float]:
    """(yaw, pitch, roll) in degrees from 5 landmarks [5, 2] (YuNet order)."""
    p = np.asarray(lm, dtype=np.float64).reshape(5, 2)
    eye_r, eye_l, _nose, _mouth_r, _mouth_l = p
    d = eye_l - eye_r
    roll = math.degrees(math.atan2(d[1], d[0]))
    c, s = math.cos(-math.radians(roll)), math.sin(-math.radians(roll))
    rot = np.array([[c, -s], [s, c]])
    q = (p - (eye_r + eye_l) / 2) @ rot.T  # eye midpoint at origin, eye line horizontal
    half_eye = max(abs(q[1, 0] - q[0, 0]) / 2, 1e-6)
    yaw = math.degrees(math.asin(max(-1.0, min(1.0, q[2, 0] / half_eye / 1.5))))
    mouth_y = (q[3, 1] + q[4, 1]) / 2
    ratio = q[2, 1] / mouth_y if mouth_y > 1e-6 else _NOSE_RATIO
    pitch = math.degrees(math.asin(max(-1.0, min(1.0, (ratio - _NOSE_RATIO) * 2.5))))
    return yaw, pitch, roll


def sharpness(crop: np.ndarray) -> float:
    """Variance of the 4-neighbour Laplacian of the crop's grey level."""
    g = crop.astype(np.float32) @ np.array([0.114, 0.587, 0.299], dtype=np.float32)  # BGR -> luma
    lap = g[:-2, 1:-1] + g[2:, 1:-1] + g[1:-1, :-2] + g[1:-1, 2:] - 4 * g[1:-1, 1:-1]
    return float(lap.var())


def assess(landmarks: np.ndarray, det_score: float, crop: np.ndarray | None) -> Quality:
    lm = np.asarray(landmarks, dtype=np.float64).reshape(5, 2)
    inter_eye = float(np.linalg.norm(lm[1] - lm[0]))
    yaw, pitch, roll = pose_from_landmarks(lm)
    sharp = sharpness(crop) if crop is not None else float("nan")
    frontal = max(0.0, math.cos(math.radians(min(90.0, abs(yaw) * 1.5)))) * max(
        0.0, math.cos(math.radians(min(90.0, abs(pitch) * 1.5)))
    )
    score = (
        _ramp(inter_eye, 10.0, 40.0)
        * _ramp(det_score, 0.5, 0.9)
        * frontal
        * (_ramp(sharp, 20.0, 200.0) if crop is not None else 1.0)
    )
    return Quality(inter_eye, float(det_score), yaw, pitch, roll, sharp, float(score))


def assess_enrolment(
    face: object, crop: np.ndarray, policy: EnrolmentPolicy | None = None
) -> list[str]:
    """Reasons to refuse `face` (a `Face`) as an enrolment photo; [] means accepted."""
    p = policy or EnrolmentPolicy()
    q = assess(face.landmarks, face.score, crop)  # type: ignore[attr-defined]
    reasons = []
    if q.inter_eye_px < p.min_inter_eye_px:
        reasons.append(
            f"face too small: {q.inter_eye_px:.0f} px between the eyes (need {p.min_inter_eye_px:.0f})"
        )
    if q.det_score < p.min_det_score:
        reasons.append(f"detector unsure: score {q.det_score:.2f} (need {p.min_det_score:.2f})")
    if abs(q.yaw_deg) > p.max_yaw_deg:
        reasons.append(f"head turned: yaw {q.yaw_deg:.0f} degrees (limit {p.max_yaw_deg:.0f})")
    if abs(q.pitch_deg) > p.max_pitch_deg:
        reasons.append(
            f"head tilted up/down: pitch {q.pitch_deg:.0f} degrees (limit {p.max_pitch_deg:.0f})"
        )
    if abs(q.roll_deg) > p.max_roll_deg:
        reasons.append(
            f"head tilted sideways: roll {q.roll_deg:.0f} degrees (limit {p.max_roll_deg:.0f})"
        )
    if q.sharpness < p.min_sharpness:
        reasons.append(f"photo blurred: sharpness {q.sharpness:.0f} (need {p.min_sharpness:.0f})")
    return reasons
