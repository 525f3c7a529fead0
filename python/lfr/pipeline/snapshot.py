"""`CameraSnapshot`: one camera at one instant, the one type every reader of a camera takes.

A camera's numbers are kept where they are counted (the source's `CameraStats` in the decode
thread, the analysis' `CameraCounters` in the runner, the lifecycle in the actor's stats) and
read only through this snapshot: `lfr status`, the socket's `cameras.list`, the rates, the
run's counters and the end-of-scan summary all see the same fields, never a hand-copied subset.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

from lfr.pipeline.camera import CameraCounters
from lfr.stream.frame import CameraStats


@dataclass(frozen=True, slots=True)
class CameraSnapshot:
    camera: str
    url: str  # as it may be shown: credentials redacted
    watchlist: str
    state: str  # the source's state; FAILED or RESTARTING when its supervisor says so
    last_error: str | None
    restarts: int  # restarts of the camera's actor by its supervisor
    queue_depth: int  # frames waiting for the analysis
    source: CameraStats
    analysis: CameraCounters
    latency_ms: dict[str, dict[str, float]]  # this camera's stages, rounded

    @property
    def frames_dropped(self) -> int:
        """Frames decoded but never analysed: replaced in the slot, or over the fps cap."""
        return self.source.frames_dropped + self.source.frames_skipped

    def numbers(self) -> dict[str, Any]:
        """Flat, for the registry and the wire: identity, lifecycle and every counter."""
        return {
            "camera": self.camera,
            "url": self.url,
            "watchlist": self.watchlist,
            "state": self.state,
            "last_error": self.last_error,
            "restarts": self.restarts,
            "queue_depth": self.queue_depth,
            **asdict(self.source),
            **asdict(self.analysis),
        }


C = TypeVar("C", CameraCounters, CameraStats)


def added(kind: type[C], items: Iterable[C]) -> C:
    """Counters of one kind added up, field by field."""
    out = kind()
    for item in items:
        for f in fields(kind):
            setattr(out, f.name, getattr(out, f.name) + getattr(item, f.name))
    return out


def since(now: C, before: C) -> C:
    """What was counted between two readings of the same counters."""
    return type(now)(
        **{f.name: getattr(now, f.name) - getattr(before, f.name) for f in fields(now)}
    )
