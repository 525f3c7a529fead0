"""`lfr-run --trace FILE [--trace-seconds N]`: a per-frame trace of the daemon's first seconds.

A daemon runs for days; a trace of all of it would fill memory. So the recorder records for N
seconds (default 60, enough for every camera to show its steady state), then stops by itself,
and this task writes the file then (or at the stop, if that comes first) and says where.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import trio

from lfr.telemetry import TraceRecorder

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TraceOptions:
    path: Path
    seconds: float = 60.0

    def recorder(self) -> TraceRecorder:
        return TraceRecorder(seconds=self.seconds, process="lfr-run")


async def record_trace(tracer: TraceRecorder, path: Path, announce: Callable[[str], None]) -> None:
    """Wait out the recorder's seconds (or a cancel: the daemon stopping), then write."""
    try:
        await trio.sleep(max(0.0, tracer.deadline - time.monotonic()))
    finally:
        tracer.close()
        with trio.CancelScope(shield=True):
            try:
                events = await trio.to_thread.run_sync(tracer.write, path)
            except OSError as exc:
                log.error("trace not written to %s: %s", path, exc)
            else:
                announce(f"lfr-run: trace: {events} events written to {path}")
