"""Face tracks of the two sample clips as lfr's pipeline forms them, with a template for every
tracked face of every frame (not only the ones the embed schedule picks), cached as .npz.

What it is for: the track threshold is calibrated on photos, and the decision fuses a
track's templates and re-scores it as frames arrive. These real tracks of people on no
watchlist (the crowd clip, the Hamilton clip apart from Lin-Manuel Miranda) check how fused
video templates and repeated re-scoring behave against the photo reference. They are a check,
never fitted: the deployment test scans the same clips.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

CLIPS = {
    "hamilton": "face_recognition/examples/short_hamilton_clip.mp4",
    "crowd": "facenet-pytorch/examples/video.mp4",
}


@dataclass
class ClipTracks:
    track: np.ndarray  # int: the tracker's public id, per tracked face
    frame: np.ndarray  # int: frame index
    ts: np.ndarray  # float: media time
    scheduled: np.ndarray  # bool: the embed schedule asked for this one
    quality: np.ndarray  # float: lfr.inference.quality score
    plain: np.ndarray  # [n, 128]
    mirrored: np.ndarray  # [n, 128]
    faces: int  # detections in the whole clip (the embed budget's denominator)

    def tracks(self) -> list[np.ndarray]:
        """Row indices of each track, in frame order."""
        return [np.flatnonzero(self.track == t) for t in np.unique(self.track)]


def load_clip(name: str, root: Path, cache_dir: Path | None = None) -> ClipTracks:
    import hashlib
    import json

    from lfr._native import Tracker

    cache_dir = cache_dir or Path.home() / ".cache" / "lfr" / "accuracy"
    config = json.dumps(sorted(Tracker().config().items()))  # the schedule depends on it
    tag = hashlib.sha256(config.encode()).hexdigest()[:8]
    cache = cache_dir / f"tracks-{name}-{tag}.npz"
    if cache.is_file():
        z = np.load(cache)
        return ClipTracks(**{k: z[k] for k in z.files if k != "faces"}, faces=int(z["faces"]))
    clip = _compute(root / CLIPS[name])
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(cache, **{k: v for k, v in clip.__dict__.items()})
    return clip


def _compute(path: Path) -> ClipTracks:
    import av

    from lfr._native import Tracker
    from lfr.inference import FaceAnalyzer
    from lfr.inference.quality import assess
    from lfr.pipeline.engine import DETECTION_FLOOR

    fa = FaceAnalyzer.create(score_threshold=DETECTION_FLOOR)
    tracker = Tracker()
    rows: dict[str, list] = {k: [] for k in ("track", "frame", "ts", "scheduled", "quality")}
    plain, mirrored = [], []
    faces = 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        for index, frame in enumerate(container.decode(stream)):
            img = frame.to_ndarray(format="bgr24")
            ts = float(frame.pts * stream.time_base)
            boxes, scores, lms = fa.detector.detect_arrays(img)
            faces += len(scores)
            ids, need = tracker.update(ts, boxes, scores, lms)
            keep = np.flatnonzero(ids >= 0)
            if not len(keep):
                continue
            crops = fa.aligner.align_arrays(img, lms[keep])
            both = fa.embed_crops(np.ascontiguousarray(np.concatenate([crops, crops[:, :, ::-1]])))
            for j, det in enumerate(keep):
                rows["track"].append(int(ids[det]))
                rows["frame"].append(index)
                rows["ts"].append(ts)
                rows["scheduled"].append(bool(need[det]))
                rows["quality"].append(assess(lms[det], float(scores[det]), crops[j]).score)
            plain.append(both[: len(keep)])
            mirrored.append(both[len(keep) :])
    return ClipTracks(
        np.array(rows["track"]),
        np.array(rows["frame"]),
        np.array(rows["ts"]),
        np.array(rows["scheduled"]),
        np.array(rows["quality"], np.float32),
        np.concatenate(plain),
        np.concatenate(mirrored),
        faces,
    )


def data_root() -> Path:
    return Path(
        os.environ.get("LFR_SAMPLE_DATA", Path(__file__).resolve().parents[2] / "shared/data")
    )
