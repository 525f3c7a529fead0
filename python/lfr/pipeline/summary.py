"""The end-of-run (and on-demand) summary: what was seen, what was computed, how fast.

Shared by `lfr scan`, `lfr demo` and the daemon's `status`, so the numbers an operator reads
are computed one way. Counts only: nothing here identifies a face that matched nobody.
"""

from __future__ import annotations

from collections.abc import Iterable

from lfr.pipeline.camera import CameraCounters
from lfr.pipeline.latency import LatencyBook, rounded
from lfr.pipeline.snapshot import CameraSnapshot, added
from lfr.stream.frame import CameraStats


def run_summary(
    cameras: Iterable[CameraSnapshot], latency: LatencyBook, elapsed_s: float
) -> dict[str, object]:
    snaps = list(cameras)
    src = added(CameraStats, (s.source for s in snaps))
    ana = added(CameraCounters, (s.analysis for s in snaps))
    stages = rounded(latency.summary())
    return {
        "frames_decoded": src.frames_decoded,
        "frames_analysed": ana.frames_analysed,
        "frames_dropped": sum(s.frames_dropped for s in snaps),
        "frames_skipped_by_fps_cap": src.frames_skipped,
        "faces": ana.faces,
        "templates": ana.templates,
        "alerts": ana.alerts,
        "revisions": ana.revisions,
        "errors": ana.errors,
        "elapsed_s": round(elapsed_s, 3),
        "fps": round(ana.frames_analysed / elapsed_s, 2) if elapsed_s > 0 else 0.0,
        "latency_ms": stages,
        "time_to_alert_s": _seconds(stages.get("time_to_alert", {})),
    }


def _seconds(ms: dict[str, float]) -> dict[str, float]:
    """p50/p99/max of a millisecond stage, in seconds."""
    return {k: round(v / 1e3, 3) for k, v in ms.items()}


def format_summary(summary: dict[str, object]) -> str:
    """A few human lines for stderr."""
    lines = [
        f"frames: {summary['frames_decoded']} decoded, {summary['frames_analysed']} analysed, "
        f"{summary['frames_dropped']} dropped; {summary['fps']} analysed fps over "
        f"{summary['elapsed_s']} s",
        f"faces: {summary['faces']}; templates computed: {summary['templates']}; "
        f"alerts: {summary['alerts']}; revisions: {summary['revisions']}",
    ]
    tta = summary["time_to_alert_s"]
    assert isinstance(tta, dict)
    if tta:
        lines.append(
            f"time to alert (a track's first frame to its alert): p50 {tta['p50']:.2f} s, "
            f"p99 {tta['p99']:.2f} s"
        )
    latency = summary["latency_ms"]
    assert isinstance(latency, dict)
    for stage, stats in latency.items():
        if stats and stage != "time_to_alert":
            lines.append(
                f"latency {stage}: p50 {stats.get('p50', 0):.1f} ms, "
                f"p99 {stats.get('p99', 0):.1f} ms, max {stats.get('max', 0):.1f} ms"
            )
    return "\n".join(lines)
