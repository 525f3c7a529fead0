"""Face detection (YuNet), alignment (5-point similarity), embedding (SFace) and quality."""

from __future__ import annotations

from lfr.inference.analyzer import Face, FaceAnalyzer, largest_face
from lfr.inference.quality import Quality, assess_enrolment

__all__ = ["Face", "FaceAnalyzer", "Quality", "assess_enrolment", "largest_face"]
