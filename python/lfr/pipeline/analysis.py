"""One analysed frame: detect -> track -> embed what the tracker asks for -> fuse, match and
decide per track.

This is the synchronous core of the pipeline, run in worker threads: ONNX Runtime and the Rust
extension both release the GIL, so two frames can be analysed on two cores at once. It comes
in two steps, `detect` and `decide`, so a camera can detect its next frame while its current
one is tracked and embedded (the tracker needs its frames in order; detection does not).
Detection follows the camera's `RegionPlan`: the whole frame now and then, the regions around
the faces of the frame before in between.

What is kept about a face that matches nobody: its crop and its template live only in local
variables of `analyse` and are gone when the call returns; the template is also folded into
its track's fused template, which lives inside the tracker (in memory, never written anywhere)
for the life of the track, seconds, and is dropped when the track ends. Only a decision that
names a watchlist identity leaves this module, with the crop of the face that tipped it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from lfr.inference.quality import assess

if TYPE_CHECKING:
    from lfr.inference import FaceAnalyzer
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.gallery import LoadedWatchlist
    from lfr.stream.frame import FrameLike


@dataclass(frozen=True, slots=True)
class AlertCandidate:
    """A tracker decision, with what the alert sink needs to persist and publish it."""

    kind: str  # "alert", or "alert_update" when the track's alert moves to another identity
    camera: str
    track_id: int
    identity: str
    previous_identity: str | None
    revision: int
    score: float  # the track's fused template against `identity`
    templates: int  # templates fused into the decision
    time_to_alert_s: float  # from the track's first frame to this decision (tracker clock)
    wall_ts: float
    t_decoded: float
    watchlist: str
    watchlist_hash: str
    threshold: float
    crop: np.ndarray  # the aligned 112x112 BGR face that tipped the decision: a match may be kept
    frame: int = 0  # the index of the frame that raised it (traces link the two)


@dataclass(frozen=True, slots=True)
class Detections:
    """What the detection step found in one frame, in frame pixels, best score first."""

    boxes: np.ndarray  # f32 [n, 4]
    scores: np.ndarray  # f32 [n]
    landmarks: np.ndarray  # f32 [n, 10]
    whole_frame: bool  # False: only the plan's regions were searched
    t_dequeued: float  # when the frame left the camera's mailbox (monotonic)
    t_start: float  # when detection began (monotonic)
    detect_ms: float


@dataclass(slots=True)
class FrameResult:
    faces: int = 0
    templates: int = 0
    unmatched: int = 0  # templates that left their track short of any identity (discarded)
    shed: int = 0  # faces the tracker asked a template of, left for later: the frame was late
    candidates: list[AlertCandidate] = field(default_factory=list)
    stage_ms: dict[str, float] = field(default_factory=dict)  # per stage; track..match back to back
    t_start: float = 0.0  # when the decision step (track onwards) began (time.monotonic())


# A live frame embeds at most `LIVE_EMBEDS` of its due faces, the largest first, and a late
# one (its decision starts over `LATE_S` after it was decoded: the cameras together ask for
# more than the cores do) only its largest. Faces arrive in bursts (a group walks into view,
# on several cameras at once), and each template costs about 9 ms of a core: a frame that
# embedded five new faces at once would hold its camera, and the frames of every camera
# queued behind it, for 50-100 ms. Spread over the next frames, the same work keeps every
# camera at its frame rate and alerts prompt, instead of frames being dropped at the
# keep-latest slot while the cores idle between bursts. The tracker asks again for a face
# that was left: at once while a track gathers its first templates or is close to a
# decision, at its next probe otherwise. Files scanned on their media clock never shed, so a
# scan's result does not depend on the machine's load.
LIVE_EMBEDS = 2
LATE_S = 0.05


def shed_embeds(wanted: np.ndarray, boxes: np.ndarray, keep: int) -> tuple[np.ndarray, int]:
    """(the `keep` largest of the `wanted` faces, largest first; how many were left)."""
    heights = boxes[wanted, 3] - boxes[wanted, 1]
    kept = wanted[np.argsort(-heights, kind="stable")[:keep]]
    return kept, len(wanted) - len(kept)


def quality_weights(landmarks: np.ndarray, scores: np.ndarray, crops: np.ndarray) -> np.ndarray:
    """Each face's weight in its track's fused template: the quality score (resolution,
    detector confidence, frontalness, sharpness), so a close, sharp, frontal view counts for
    more than a small, blurred or turned one (the tracker floors it at `min_weight`)."""
    return np.array(
        [
            assess(lm, float(s), crop).score
            for lm, s, crop in zip(landmarks, scores, crops, strict=True)
        ],
        dtype=np.float32,
    )


class FrameAnalysis:
    """Runs the per-frame stages for any camera; holds no per-camera state itself."""

    def __init__(self, analyzer: FaceAnalyzer, *, threshold_override: float | None = None) -> None:
        self._fa = analyzer
        self._override = threshold_override

    def threshold_of(self, watchlist: LoadedWatchlist) -> float:
        """The threshold in effect now: the configured override, else the watchlist's own,
        else the model's default. Read per frame, so a reload reaches running cameras."""
        if self._override is not None:
            return self._override
        if watchlist.threshold is not None:
            return float(watchlist.threshold)
        return float(self._fa.default_threshold)

    def analyse(self, ctx: CameraContext, frame: FrameLike, t_dequeued: float) -> FrameResult:
        """Both steps, one after the other (offline replays; the camera pipelines them)."""
        return self.decide(ctx, frame, self.detect(ctx, frame, t_dequeued))

    def detect(self, ctx: CameraContext, frame: FrameLike, t_dequeued: float) -> Detections:
        """Faces in `frame` where the camera's plan says to look. Frames of one camera must
        come in order (the plan follows the faces of the frame before)."""
        t0 = time.monotonic()
        detector = self._fa.detector
        regions = ctx.regions.next(frame.image.shape[:2], detector)
        if regions is None:
            boxes, scores, landmarks = detector.detect_arrays(frame.image)
        else:
            boxes, scores, landmarks = detector.detect_regions(frame.image, regions)
        ctx.regions.found(boxes, whole_frame=regions is None)
        return Detections(
            boxes,
            scores,
            landmarks,
            whole_frame=regions is None,
            t_dequeued=t_dequeued,
            t_start=t0,
            detect_ms=(time.monotonic() - t0) * 1e3,
        )

    def decide(self, ctx: CameraContext, frame: FrameLike, found: Detections) -> FrameResult:
        """Track `found`, embed what the tracker asks for, match and decide. In frame order."""
        result = FrameResult()
        boxes, scores, landmarks = found.boxes, found.scores, found.landmarks
        t1 = time.monotonic()
        ts = ctx.track_time(frame)
        track_ids, need_embed = ctx.tracker.update(ts, boxes, scores, landmarks)
        t2 = time.monotonic()
        result.faces = len(scores)
        stage_ms = {
            "queue": (found.t_dequeued - frame.t_decoded) * 1e3,
            "detect": found.detect_ms,
            "track": (t2 - t1) * 1e3,
        }
        watchlist = ctx.watchlist()
        wanted = np.flatnonzero(need_embed & (track_ids >= 0))
        if not ctx.media_clock and len(wanted) > 1:
            keep = 1 if t1 - frame.t_decoded > LATE_S else LIVE_EMBEDS
            wanted, result.shed = shed_embeds(wanted, boxes, keep)
        if watchlist is not None and len(wanted):
            crops = self._fa.aligner.align_arrays(frame.image, landmarks[wanted])
            templates = self._fa.embed_crops(crops)
            weights = quality_weights(landmarks[wanted], scores[wanted], crops)
            t3 = time.monotonic()
            threshold = self.threshold_of(watchlist)
            events, result.unmatched = ctx.tracker.observe(
                ts, track_ids[wanted], templates, weights, watchlist.gallery, threshold
            )
            result.templates = len(wanted)
            for ev in events:
                result.candidates.append(
                    AlertCandidate(
                        kind=ev.kind,
                        camera=ctx.camera_id,
                        track_id=ev.track_id,
                        identity=ev.identity,
                        previous_identity=ev.previous_identity,
                        revision=ev.revision,
                        score=float(ev.score),
                        templates=int(ev.templates),
                        time_to_alert_s=float(ev.ts - ev.track_started),
                        wall_ts=frame.wall_ts,
                        t_decoded=frame.t_decoded,
                        watchlist=watchlist.name,
                        watchlist_hash=watchlist.content_hash,
                        threshold=threshold,
                        crop=crops[ev.index].copy(),
                        frame=frame.index,
                    )
                )
            t4 = time.monotonic()
            stage_ms["embed"] = (t3 - t2) * 1e3
            stage_ms["match"] = (t4 - t3) * 1e3
        t_done = time.monotonic()
        stage_ms["total"] = found.detect_ms + (t_done - t1) * 1e3
        stage_ms["glass_to_decision"] = (t_done - frame.t_decoded) * 1e3
        result.stage_ms = stage_ms
        result.t_start = t1
        return result
