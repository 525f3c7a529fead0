"""FaceAnalyzer: the one object the rest of lfr uses to find faces and make templates.

It owns three small parts (Detector, Aligner, Embedder) and exposes them for the live
pipeline's array-in/array-out path; the Face-level methods here are for enrolment, `lfr probe`
and `lfr eval`, where per-face quality matters more than the last millisecond.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lfr.assets import ModelSet, ensure_models
from lfr.inference.align import Aligner
from lfr.inference.detector import Detector, DetectorConfig
from lfr.inference.embedder import Embedder
from lfr.inference.quality import Quality, assess
from lfr.inference.session import create_session, make_config


@dataclass(frozen=True, eq=False)
class Face:
    bbox: np.ndarray  # f32 (4,) x1, y1, x2, y2
    score: float
    landmarks: np.ndarray  # f32 (5, 2): right eye, left eye, nose, right/left mouth corner
    quality: Quality = field(repr=False)

    @property
    def area(self) -> float:
        return float(max(self.bbox[2] - self.bbox[0], 0) * max(self.bbox[3] - self.bbox[1], 0))

    def as_dict(self) -> dict[str, object]:
        return {
            "bbox": [round(float(v), 1) for v in self.bbox],
            "score": round(self.score, 4),
            "landmarks": [[round(float(x), 1), round(float(y), 1)] for x, y in self.landmarks],
            "quality": self.quality.as_dict(),
        }


class FaceAnalyzer:
    def __init__(
        self, models: ModelSet, detector: Detector, aligner: Aligner, embedder: Embedder
    ) -> None:
        self.models = models
        self.detector = detector
        self.aligner = aligner
        self.embedder = embedder
        spec = models.manifest.embedder
        self._threshold = float(spec.extra.get("default_threshold", 0.363))  # type: ignore[arg-type]

    @classmethod
    def create(
        cls,
        *,
        models_dir: Path | None = None,
        threads: int | None = None,
        providers: Sequence[str] | None = None,
        det_size: int = 640,
        score_threshold: float = 0.6,
        min_face_px: float = 16.0,
    ) -> FaceAnalyzer:
        """Fetch (first use) and verify the pinned models, then open ORT sessions on them."""
        models = ensure_models(Path(models_dir) if models_dir is not None else None)
        config = make_config(threads, providers)
        det_cfg = DetectorConfig(
            det_size=det_size, score_threshold=score_threshold, min_face_px=min_face_px
        )
        detector = Detector(create_session(models.read("detector"), config), det_cfg)
        embedder = Embedder(create_session(models.read("embedder"), config))
        return cls(models, detector, Aligner(), embedder)

    @property
    def model_id(self) -> str:
        """Embedder provenance stored with every template: templates from another model id
        are not comparable."""
        return self.models.model_id("embedder")

    @property
    def default_threshold(self) -> float:
        return self._threshold

    @property
    def dim(self) -> int:
        return self.embedder.dim

    def detect(self, img: np.ndarray) -> list[Face]:
        """Faces in `img`, best detector score first, each with its quality."""
        boxes, scores, lms = self.detector.detect_arrays(img)
        crops = self.aligner.align_arrays(img, lms)
        return [
            Face(
                boxes[i],
                float(scores[i]),
                lms[i].reshape(5, 2),
                assess(lms[i], float(scores[i]), crops[i]),
            )
            for i in range(len(scores))
        ]

    def align(self, img: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        lms = (
            np.stack([f.landmarks.reshape(10) for f in faces])
            if faces
            else np.zeros((0, 10), np.float32)
        )
        return self.aligner.align_arrays(img, lms)

    def embed_crops(self, crops: np.ndarray) -> np.ndarray:
        return self.embedder.embed_crops(crops)

    def templates(self, img: np.ndarray, faces: Sequence[Face]) -> np.ndarray:
        return self.embed_crops(self.align(img, faces))


def largest_face(faces: Sequence[Face]) -> Face | None:
    """The face to use when a photo should show one person but shows several: the largest
    box (the subject is nearest the camera), ties broken by detector score."""
    return max(faces, key=lambda f: (f.area, f.score), default=None)
