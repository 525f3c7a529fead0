"""What recording a trace costs: `lfr scan` of a clip with and without `--trace`, in one run,
interleaved (plain, traced, plain, traced, ...) so both see the same machine load.

Reports the analysed fps of each (the scan's own figure: frames analysed over the scan's
time, models loaded before it starts), their medians, the ratio traced/plain and the whole
process' wall time (which also pays for writing the trace file after the scan).

    python benches/trace_overhead.py [--clip PATH] [--repeats N] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
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
    """(analysed fps, wall seconds) of one `lfr scan`."""
    argv = [sys.executable, "-m", "lfr.cli.admin", "scan", str(clip), "--watchlist", "wl", "--json"]
    if trace is not None:
        argv += ["--trace", str(trace)]
    t0 = time.monotonic()
    proc = subprocess.run(
        argv, env={**os.environ, "LFR_HOME": str(home)}, capture_output=True, text=True, check=True
    )
    wall = time.monotonic() - t0
    summary = json.loads(proc.stderr.strip().splitlines()[-1])
    return float(summary["fps"]), wall


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
    wall = {k: statistics.median(w for _, w in v) for k, v in runs.items()}
    result = {
        "machine": describe(),
        "clip": str(args.clip),
        "repeats": args.repeats,
        "fps": {k: [round(f, 2) for f, _ in v] for k, v in runs.items()},
        "median_fps": {k: round(v, 2) for k, v in fps.items()},
        "fps_ratio_traced_over_plain": round(fps["traced"] / fps["plain"], 4),
        "median_wall_s": {k: round(v, 3) for k, v in wall.items()},
        "wall_ratio_traced_over_plain": round(wall["traced"] / wall["plain"], 4),
        "trace_events": events,
    }
    text = json.dumps(result, indent=2)
    print(text)
    if args.out is not None:
        args.out.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
