"""What recording a trace costs: `lfr scan` of a clip with and without `--trace`, in one run,
interleaved (plain, traced, plain, traced, ...) so both see the same machine load.

Reports, for each: the analysed fps (the scan's own figure: frames analysed over the scan's
time, models loaded before it starts) and the process' CPU seconds (user + system, which other
load on a shared machine disturbs far less than wall time), their medians and the ratios
traced/plain; and the recorder's own cost per frame, timed in-process on a realistic frame
(the spans and flows of a frame with templates).

    python benches/trace_overhead.py [--clip PATH] [--repeats N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_pipeline import prepare_home
from lfr.paths import sample_data_dir
from machine import describe


def scan(clip: Path, home: Path, trace: Path | None) -> tuple[float, float]:
    """(analysed fps, CPU seconds) of one `lfr scan`."""
    argv = [sys.executable, "-m", "lfr.cli.admin", "scan", str(clip), "--watchlist", "wl", "--json"]
    if trace is not None:
        argv += ["--trace", str(trace)]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(
        argv, env={**os.environ, "LFR_HOME": str(home)}, capture_output=True, text=True, check=True
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    summary = json.loads(proc.stderr.strip().splitlines()[-1])
    return float(summary["fps"]), cpu


def paired(runs: dict[str, list[tuple[float, float]]]) -> dict[str, float]:
    """Median of the per-pair ratios traced/plain (each pair ran back to back, under nearly
    the same load): fps and CPU seconds."""
    pairs = list(zip(runs["plain"], runs["traced"], strict=True))
    return {
        "fps": round(statistics.median(t[0] / p[0] for p, t in pairs), 4),
        "cpu_s": round(statistics.median(t[1] / p[1] for p, t in pairs), 4),
    }


def recorder_cost_us(frames: int = 20000) -> float:
    """Microseconds the recorder adds to one frame (decode span, waits, five stage spans and
    their flows, one alert flow), in this process."""
    from lfr.telemetry import TraceRecorder

    rec = TraceRecorder()
    stages = [("track", 0.0001), ("embed", 0.01), ("match", 0.0001)]
    t0 = time.perf_counter()
    for i in range(frames):
        now = time.monotonic()
        rec.decoded("bench", i, now - 0.002, now)
        rec.detected(
            "bench", i, decoded=now, dequeued=now + 0.001, start=now + 0.002, end=now + 0.006
        )
        rec.analysed("bench", i, faces=3, start=now + 0.006, stages=stages, alerts=[(1, 0)])
    return (time.perf_counter() - t0) / frames * 1e6


def main() -> int:
    sample = sample_data_dir()
    assert sample is not None, "set LFR_SAMPLE_DATA"
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clip", type=Path, default=sample / "facenet-pytorch/examples/video.mp4")
    p.add_argument("--repeats", type=int, default=7)
    p.add_argument("--out", type=Path, default=None)
    args = p.parse_args()
    enrol = sample / "face_recognition/examples/lin-manuel-miranda.png"
    with tempfile.TemporaryDirectory(prefix="lfr-trace-bench-") as tmp:
        home, trace = Path(tmp) / "home", Path(tmp) / "scan.trace.json"
        prepare_home(home, enrol)
        scan(args.clip, home, None)  # warm the page cache and the model files
        runs: dict[str, list[tuple[float, float]]] = {"plain": [], "traced": []}
        for _ in range(args.repeats):
            runs["plain"].append(scan(args.clip, home, None))
            runs["traced"].append(scan(args.clip, home, trace))
        events = len(json.loads(trace.read_text())["traceEvents"])
    fps = {k: statistics.median(f for f, _ in v) for k, v in runs.items()}
    cpu = {k: statistics.median(c for _, c in v) for k, v in runs.items()}
    result = {
        "machine": describe(),
        "load_average": os.getloadavg(),
        "clip": str(args.clip),
        "repeats": args.repeats,
        "fps": {k: [round(f, 2) for f, _ in v] for k, v in runs.items()},
        "median_fps": {k: round(v, 2) for k, v in fps.items()},
        "fps_ratio_traced_over_plain": round(fps["traced"] / fps["plain"], 4),
        "cpu_s": {k: [round(c, 2) for _, c in v] for k, v in runs.items()},
        "median_cpu_s": {k: round(v, 3) for k, v in cpu.items()},
        "cpu_ratio_traced_over_plain": round(cpu["traced"] / cpu["plain"], 4),
        "paired_median_ratios": paired(runs),
        "trace_events": events,
        "recorder_us_per_frame": round(recorder_cost_us(), 1),
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
