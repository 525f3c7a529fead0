"""Where the time went, from a trace written by `lfr-run --trace` or `lfr scan --trace`: per
stage, the span count, its mean, p50 and p99 (wall ms on the thread that ran it) and its
total per analysed frame; per kind of thread, how busy its spans kept it.

    python benches/trace_stages.py TRACE.json [--skip-s 5] [--json]

`--skip-s` leaves out the first seconds (model loading, cameras connecting). Spans are wall
time: on a busy box they include time the thread waited for a core, so they are an upper
bound on CPU; `bench_capacity.py` reports CPU per analysed frame beside them.
"""

from __future__ import annotations

import argparse
import json
import re
from collections import defaultdict
from pathlib import Path

from bench_capacity import nearest_rank


def summarise(doc: dict, skip_s: float = 0.0) -> dict:
    events = doc["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    spans = [e for e in events if e["ph"] == "X" and e["ts"] >= skip_s * 1e6]
    if not spans:
        raise SystemExit("no spans after --skip-s")
    t0 = min(e["ts"] for e in spans)
    t1 = max(e["ts"] + e["dur"] for e in spans)
    by_stage: dict[str, list[float]] = defaultdict(list)
    for e in spans:
        by_stage[e["name"]].append(e["dur"] / 1e3)
    frames = len(by_stage.get("analyse", [])) or 1
    stages = {
        name: {
            "spans": len(ms),
            "mean_ms": round(sum(ms) / len(ms), 3),
            "p50_ms": round(nearest_rank(ms, 50) or 0.0, 3),
            "p99_ms": round(nearest_rank(ms, 99) or 0.0, 3),
            "ms_per_analysed_frame": round(sum(ms) / frames, 3),
        }
        for name, ms in sorted(by_stage.items())
    }
    # Top-level spans only (analyse holds track..match), per kind of thread.
    busy: dict[str, float] = defaultdict(float)
    for e in spans:
        if e["name"] in ("track", "embed", "match"):
            continue
        kind = re.sub(r"[:#\s].*$", "", names.get(e["tid"], "?"))
        busy[kind if kind in ("lfr-decode", "trio") else "analysis workers"] += e["dur"] / 1e6
    window = (t1 - t0) / 1e6
    return {
        "window_s": round(window, 2),
        "analysed_frames": frames,
        "stages": stages,
        "threads_busy_cores": {k: round(v / window, 3) for k, v in sorted(busy.items())},
    }


def table(summary: dict) -> str:
    rows = [
        "| stage | spans | mean ms | p50 ms | p99 ms | ms per analysed frame |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, s in summary["stages"].items():
        rows.append(
            f"| {name} | {s['spans']} | {s['mean_ms']} | {s['p50_ms']} | {s['p99_ms']} "
            f"| {s['ms_per_analysed_frame']} |"
        )
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("trace", type=Path)
    ap.add_argument("--skip-s", type=float, default=0.0)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    summary = summarise(json.loads(args.trace.read_text()), args.skip_s)
    if args.json:
        print(json.dumps(summary, indent=2))
        return
    print(table(summary))
    print(f"\nwindow {summary['window_s']} s, {summary['analysed_frames']} analysed frames")
    print("threads busy (cores):", json.dumps(summary["threads_busy_cores"]))


if __name__ == "__main__":
    main()
