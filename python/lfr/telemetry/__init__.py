"""What the pipeline reports about its own work while it runs: Prometheus instruments
(`PipelineMetrics`) and per-frame traces (`TraceRecorder`). Either may be absent: `Telemetry`
holds None for what is off, and every hot path tests for None before doing anything."""

from __future__ import annotations

from dataclasses import dataclass

from lfr.telemetry.metrics import PipelineMetrics
from lfr.telemetry.trace import TraceRecorder


@dataclass(frozen=True, slots=True)
class Telemetry:
    metrics: PipelineMetrics | None = None
    tracer: TraceRecorder | None = None


OFF = Telemetry()

__all__ = ["OFF", "PipelineMetrics", "Telemetry", "TraceRecorder"]
