"""A small synthetic camera for the tracker's Python tests: people on straight paths, box
jitter, SFace-like templates (same person ~0.65 cosine, strangers ~0), a real `Gallery` as
the watchlist. Drives the real `lfr._native.Tracker` the way the pipeline does."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from lfr._native import AlertEvent, Gallery, Tracker

DIM = 128
NOISE = 0.065  # cos(template, template') ~ 1 / (1 + NOISE**2 * DIM) ~ 0.65

Path = Callable[[float], "tuple[float, float, float] | None"]


def walk(x0: float, y0: float, vx: float, vy: float, size: float, t0: float, t1: float) -> Path:
    def at(t: float) -> tuple[float, float, float] | None:
        return (x0 + vx * (t - t0), y0 + vy * (t - t0), size) if t0 <= t < t1 else None

    return at


def _unit(v: npt.NDArray[np.floating[Any]]) -> npt.NDArray[np.float32]:
    return (v / np.linalg.norm(v)).astype(np.float32)


@dataclass
class Outcome:
    ids: list[list[int]]
    events: list[list[AlertEvent]]
    detections: int = 0
    embeds: int = 0
    stats: dict[str, int] = field(default_factory=dict)

    def switches(self, person: int) -> int:
        seq = [i for i in self.ids[person] if i >= 0]
        return sum(a != b for a, b in itertools.pairwise(seq))

    def tracks_of(self, person: int) -> set[int]:
        return {i for i in self.ids[person] if i >= 0}

    def alerts(self, person: int) -> int:
        return sum(e.kind == "alert" for e in self.events[person])


class Scene:
    def __init__(
        self,
        seed: int,
        *,
        fps: float = 10.0,
        duration: float = 6.0,
        jitter: float = 0.02,
        threshold: float = 0.363,
        **tracker_kwargs: float,
    ) -> None:
        self.threshold = threshold
        self.rng = np.random.default_rng(seed)
        self.fps, self.duration, self.jitter = fps, duration, jitter
        self.tracker = Tracker(**tracker_kwargs)
        self.paths: list[Path] = []
        self.identities: list[npt.NDArray[np.float32]] = []
        self.names: list[str] = []
        self.gallery: list[npt.NDArray[np.float32]] = []
        for i in range(20):
            self.names.append(f"distractor-{i}")
            self.gallery.append(_unit(self.rng.standard_normal(DIM)))

    def person(self, name: str, listed: bool, path: Path) -> int:
        identity = _unit(self.rng.standard_normal(DIM))
        if listed:
            self.names.append(name)
            self.gallery.append(self._noisy(identity))
        self.paths.append(path)
        self.identities.append(identity)
        return len(self.paths) - 1

    def _noisy(self, base: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        return _unit(base + NOISE * self.rng.standard_normal(DIM))

    def run(self) -> Outcome:
        out = Outcome(ids=[[] for _ in self.paths], events=[[] for _ in self.paths])
        gallery = Gallery(DIM)
        gallery.add(self.names, np.stack(self.gallery))
        for f in range(round(self.duration * self.fps)):
            ts = f / self.fps
            boxes, lms, who = [], [], []
            for p, path in enumerate(self.paths):
                at = path(ts)
                if at is None:
                    continue
                cx, cy, h = at
                w = 0.8 * h
                jit = self.jitter * h * self.rng.standard_normal(4)
                boxes.append(np.add([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], jit))
                lms.append(
                    [
                        cx - 0.2 * w,
                        cy - 0.15 * h,
                        cx + 0.2 * w,
                        cy - 0.15 * h,
                        cx,
                        cy,
                        cx - 0.2 * w,
                        cy + 0.15 * h,
                        cx + 0.2 * w,
                        cy + 0.15 * h,
                    ]
                )
                who.append(p)
            n = len(who)
            track_ids, need_embed = self.tracker.update(
                ts,
                np.asarray(boxes, np.float32).reshape(n, 4),
                (0.75 + 0.2 * self.rng.random(n)).astype(np.float32),
                np.asarray(lms, np.float32).reshape(n, 10),
            )
            out.detections += n
            rows = []
            for i, p in enumerate(who):
                out.ids[p].append(int(track_ids[i]))
                if need_embed[i]:
                    rows.append(i)
            out.embeds += len(rows)
            templates = np.array(
                [self._noisy(self.identities[who[i]]) for i in rows], np.float32
            ).reshape(len(rows), DIM)
            events, _ = self.tracker.observe(
                ts,
                track_ids[rows],
                templates,
                np.ones(len(rows), np.float32),
                gallery,
                self.threshold,
            )
            for e in events:
                out.events[who[rows[e.index]]].append(e)
        out.stats = self.tracker.stats()
        return out
