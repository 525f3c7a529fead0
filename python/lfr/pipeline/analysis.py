"""One analysed frame: detect -> track -> embed what the tracker asks for -> match -> decide.

This is the synchronous core of the pipeline, run in a worker thread: ONNX Runtime and the Rust
extension both release the GIL, so two cameras' frames can be analysed on two cores at once.
Everything computed here about a face that matches nobody (its template, its crop) lives only
in local variables of `analyse` and is gone when the call returns: the privacy rule is kept by
construction, not by cleaning up afterwards.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from lfr.inference import FaceAnalyzer
    from lfr.pipeline.camera import CameraContext
    from lfr.stream.frame import FrameLike


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    """A tracker decision, with what the alert sink needs to persist and publish it."""

    kind: str  # "alert" or "alert_update"
    camera: str
    track_id: int
    identity: str
    score: float
    hits: int
    wall_ts: float
    t_decoded: float
    watchlist: str
    watchlist_hash: str
    threshold: float
    crop: np.ndarray  # the aligned 112x112 BGR face that matched: a match may be kept


@dataclass(slots=True)
class FrameResult:
    faces: int = 0
    templates: int = 0
    unmatched: int = 0  # templates whose best score was under the threshold (discarded)
    candidates: list[AlertCandidate] = field(default_factory=list)
    stage_ms: dict[str, float] = field(default_factory=dict)


class FrameAnalysis:
    """Runs the per-frame stages for any camera; holds no per-camera state itself."""

    def __init__(self, analyzer: FaceAnalyzer, *, top_k: int = 3) -> None:
        self._fa = analyzer
        self._top_k = top_k

    def analyse(self, ctx: CameraContext, frame: FrameLike, t_dequeued: float) -> FrameResult:
        result = FrameResult()
        t0 = time.monotonic()
        boxes, scores, landmarks = self._fa.detector.detect_arrays(frame.image)
        t1 = time.monotonic()
        ts = ctx.track_time(frame)
        track_ids, need_embed = ctx.tracker.update(ts, boxes, scores, landmarks)
        t2 = time.monotonic()
        result.faces = len(scores)
        stage_ms = {
            "queue": (t_dequeued - frame.t_decoded) * 1e3,
            "detect": (t1 - t0) * 1e3,
            "track": (t2 - t1) * 1e3,
        }
        watchlist = ctx.watchlist()
        wanted = np.flatnonzero(need_embed & (track_ids >= 0))
        if watchlist is not None and len(wanted):
            crops = self._fa.aligner.align_arrays(frame.image, landmarks[wanted])
            templates = self._fa.embed_crops(crops)
            t3 = time.monotonic()
            result.templates = len(wanted)
            ids, best = watchlist.gallery.search(templates, self._top_k)
            result.unmatched = (
                int(np.count_nonzero(best[:, 0] < ctx.threshold)) if best.shape[1] else len(wanted)
            )
            for row, det in enumerate(wanted):
                events = ctx.tracker.observe(
                    int(track_ids[det]), ts, templates[row], ids[row], best[row, : len(ids[row])]
                )
                for ev in events:
                    result.candidates.append(
                        AlertCandidate(
                            kind=ev.kind,
                            camera=ctx.camera_id,
                            track_id=ev.track_id,
                            identity=ev.identity,
                            score=float(ev.score),
                            hits=int(ev.hits),
                            wall_ts=frame.wall_ts,
                            t_decoded=frame.t_decoded,
                            watchlist=watchlist.name,
                            watchlist_hash=watchlist.content_hash,
                            threshold=ctx.threshold,
                            crop=crops[row].copy(),
                        )
                    )
            t4 = time.monotonic()
            stage_ms["embed"] = (t3 - t2) * 1e3
            stage_ms["match"] = (t4 - t3) * 1e3
        t_done = time.monotonic()
        stage_ms["total"] = (t_done - t0) * 1e3
        stage_ms["glass_to_decision"] = (t_done - frame.t_decoded) * 1e3
        result.stage_ms = stage_ms
        return result
