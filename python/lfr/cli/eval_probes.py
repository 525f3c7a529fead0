"""The searches `lfr eval identify` makes: a gallery enrolled through the enrolment gate, one
search per still photo, one per video track decided by the pipeline itself.

A video is analysed by the pipeline's own `FrameAnalysis` with a fresh camera tracker, once
per threshold of the sweep, because the decision (and even which frames get a template) may
depend on it. To keep that affordable the video is decoded, detected and embedded once: the
recording pass computes every face's crop and template, and the later passes hand the same
`FrameAnalysis` an analyzer that replays them (a cache miss is an error, never a guess).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lfr.calibration.identification import Search, still_search
from lfr.errors import InputError, LfrError
from lfr.watchlist.photo_list import NOBODY, PhotoRow

Tick = Callable[[int, int], None]  # progress: (done, total)
VIDEO_SUFFIXES = {".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".ts"}


@dataclass
class EvalGallery:
    gallery: Any  # lfr._native.Gallery
    identities: list[str]
    refused: list[dict[str, str]] = field(default_factory=list)
    templates: int = 0


def build_gallery(
    analyzer: Any, rows: list[PhotoRow], *, largest: bool, progress: Tick | None = None
) -> EvalGallery:
    """Every gallery photo through the enrolment gate; an identity with no accepted photo is
    left out (its probes are then non-mated). Each accepted photo is a template and a search
    takes an identity's best, as a watchlist does (fusing by mean measured no better:
    benches/RESULTS.md)."""
    from lfr._native import Gallery
    from lfr.watchlist.enrol import Candidate, assess_photo

    accepted: dict[str, list[np.ndarray]] = defaultdict(list)
    refused = []
    for n, row in enumerate(rows, start=1):
        if progress is not None:
            progress(n, len(rows))
        if row.identity == NOBODY:
            raise InputError(f"gallery line {row.line}: every gallery photo needs an identity")
        outcome = assess_photo(analyzer, row.path, largest=largest, thumbnails=False)
        if isinstance(outcome, Candidate):
            accepted[row.identity].append(outcome.template)
        else:
            refused.append(
                {"path": row.rel, "identity": row.identity, "reason": "; ".join(outcome.reasons)}
            )
    gallery = Gallery(analyzer.dim)
    ids, vectors = [], []
    for identity, templates in accepted.items():
        ids += [identity] * len(templates)
        vectors += templates
    if vectors:
        gallery.add(ids, np.ascontiguousarray(np.stack(vectors), dtype=np.float32))
    return EvalGallery(gallery, sorted(accepted), refused, len(vectors))


def still_searches(
    analyzer: Any, gallery: EvalGallery, rows: list[PhotoRow], *, progress: Tick | None = None
) -> tuple[list[Search], list[dict[str, str]]]:
    """One search per photo with its largest face (as `lfr eval pairs`). A photo without a
    face is still a search: a mated one is then a miss, a non-mated one no false positive."""
    from lfr.cli.cmd_eval import TemplateCache

    cache = TemplateCache(analyzer, Path("/"))
    known = set(gallery.identities)
    searches, failures = [], []
    for n, row in enumerate(rows, start=1):
        if progress is not None:
            progress(n, len(rows))
        truth = row.identity if row.identity in known else None
        template = cache.get(str(row.path))
        if isinstance(template, str):
            failures.append({"path": row.rel, "reason": template})
            searches.append(still_search(truth, None, float("-inf"), row.group))
            continue
        ids, scores = gallery.gallery.search(np.ascontiguousarray(template[None, :]), 1)
        best = ids[0][0] if ids[0] else None
        searches.append(still_search(truth, best, float(scores[0][0]), row.group))
    return searches, failures


def is_video(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


# --- video ----------------------------------------------------------------------------------


@dataclass
class _Recorded:
    pts: list[float | None] = field(default_factory=list)
    detections: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = field(default_factory=list)
    crops: list[np.ndarray] = field(default_factory=list)
    templates: dict[bytes, np.ndarray] = field(default_factory=dict)


def _record(analyzer: Any, path: Path) -> _Recorded:
    import av

    rec = _Recorded()
    try:
        container = av.open(str(path))
    except (OSError, av.FFmpegError) as exc:
        raise InputError(f"{path}: cannot open the video: {exc}") from exc
    with container:
        stream = container.streams.video[0]
        for frame in container.decode(stream):
            img = np.ascontiguousarray(frame.to_ndarray(format="bgr24"))
            boxes, scores, lms = analyzer.detector.detect_arrays(img)
            crops = analyzer.aligner.align_arrays(img, lms)
            if len(crops):
                for crop, tpl in zip(crops, analyzer.embed_crops(crops), strict=True):
                    rec.templates[crop.tobytes()] = tpl
            base = stream.time_base
            rec.pts.append(float(frame.pts * base) if frame.pts is not None and base else None)
            rec.detections.append((boxes, scores, lms))
            rec.crops.append(crops)
    return rec


class _Replay:
    """What `FrameAnalysis` uses of a FaceAnalyzer, answered from a recording. Frames carry
    their index as their `image` (a 1x1 array), so the replay knows which frame it is asked
    about."""

    def __init__(self, analyzer: Any, rec: _Recorded) -> None:
        self._rec = rec
        self.default_threshold = analyzer.default_threshold
        self.model_id = analyzer.model_id
        self.dim = analyzer.dim
        self.detector = self
        self.aligner = self

    def detect_arrays(self, image: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return self._rec.detections[int(image.ravel()[0])]

    def align_arrays(self, image: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
        _, _, all_lms = self._rec.detections[int(image.ravel()[0])]
        crops = self._rec.crops[int(image.ravel()[0])]
        rows = [_row_of(all_lms, lm) for lm in landmarks]
        return crops[rows] if rows else crops[:0]

    def embed_crops(self, crops: np.ndarray) -> np.ndarray:
        try:
            return np.stack([self._rec.templates[c.tobytes()] for c in crops])
        except KeyError:
            raise LfrError("video replay: a crop the recording never saw") from None


def _row_of(all_lms: np.ndarray, lm: np.ndarray) -> int:
    hit = np.flatnonzero(np.all(all_lms == lm, axis=1))
    if not len(hit):
        raise LfrError("video replay: landmarks the recording never saw")
    return int(hit[0])


@dataclass(frozen=True)
class _ReplayFrame:
    camera_id: str
    index: int
    pts_s: float | None
    t_decoded: float
    wall_ts: float
    image: np.ndarray


def video_decisions(
    analyzer: Any, gallery: EvalGallery, path: Path, thresholds: list[float]
) -> tuple[int, dict[float, dict[int, str]]]:
    """(tracks, {threshold: {track: identity alerted, after any revision}}): the pipeline's
    per-track decisions on `path` at each threshold."""
    from lfr.pipeline.analysis import FrameAnalysis

    rec = _record(analyzer, path)
    replay = _Replay(analyzer, rec)
    analysis = FrameAnalysis(replay)  # type: ignore[arg-type]
    out: dict[float, dict[int, str]] = {}
    tracks = 0
    for t in thresholds:
        ctx, decided = _camera(gallery, t), {}
        for i, pts in enumerate(rec.pts):
            frame = _ReplayFrame(
                "eval",
                i,
                pts if pts is not None else i / 25.0,
                0.0,
                0.0,
                np.array([[i]], dtype=np.int64),
            )
            for cand in analysis.analyse(ctx, frame, 0.0).candidates:  # type: ignore[arg-type]
                decided[cand.track_id] = cand.identity
        out[t] = decided
        tracks = max(tracks, int(ctx.tracker.stats()["tracks_started"]))
    return tracks, out


def _camera(gallery: EvalGallery, threshold: float) -> Any:
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.gallery import LoadedWatchlist

    loaded = LoadedWatchlist(
        name="eval",
        content_hash="",
        threshold=threshold,
        expires_at=None,
        gallery=gallery.gallery,
        labels={i: i for i in gallery.identities},
    )
    return CameraContext(
        camera_id="eval", watchlist_name="eval", media_clock=True, lookup=lambda _n: loaded
    )


def video_searches(
    truth: str | None, tracks: int, decisions: dict[float, dict[int, str]], group: str | None
) -> list[Search]:
    """A video of nobody on the list: every track a non-mated search. A video of a gallery
    identity: one mated search, found when any track alerts for it (its other tracks are
    people unknown to the list file, counted nowhere)."""
    grid = sorted(decisions)

    def at(t: float) -> dict[int, str]:
        usable = [g for g in grid if g <= t]
        return decisions[usable[-1] if usable else grid[0]]

    if truth is not None:

        def found(t: float) -> str | None:
            ids = set(at(t).values())
            return truth if truth in ids else (min(ids) if ids else None)

        return [Search(truth, found, found(grid[0]), group, tuple(grid))]
    alerted = sorted({track for d in decisions.values() for track in d})
    searches = []
    for track in alerted:

        def returns(t: float, track: int = track) -> str | None:
            return at(t).get(track)

        searches.append(Search(None, returns, returns(grid[0]), group, tuple(grid)))
    quiet = Search(None, lambda _t: None, None, group)
    return searches + [quiet] * max(0, tracks - len(alerted))
