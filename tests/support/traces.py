"""Reading a trace written by `lfr scan --trace` / `lfr-run --trace` the way a viewer would:
spans per thread, waits per frame, flows by id. Used by the trace tests."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

EPS_US = 0.01  # timestamps are rounded to a nanosecond


@dataclass
class FrameTrace:
    spans: dict[str, dict[str, Any]] = field(default_factory=dict)  # stage -> its X event
    waits: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # name -> phs


@dataclass
class Trace:
    events: list[dict[str, Any]]
    threads: dict[int, str]
    frames: dict[tuple[str, int], FrameTrace]
    flows: dict[tuple[str, int], list[dict[str, Any]]]  # (cat, id) -> its events in order
    alert_spans: list[dict[str, Any]]


def read_trace(doc: dict[str, Any]) -> Trace:
    events = doc["traceEvents"]
    threads = {e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    frames: dict[tuple[str, int], FrameTrace] = defaultdict(FrameTrace)
    flows: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    alert_spans = []
    for e in events:
        if e["ph"] == "X":
            key = (e["args"]["camera"], e["args"]["frame"])
            if e["name"] in ("persist", "publish"):
                alert_spans.append(e)
            else:
                assert e["name"] not in frames[key].spans, f"two {e['name']} spans for {key}"
                frames[key].spans[e["name"]] = e
        elif e["ph"] in ("b", "e"):
            flow_frames = [k for k in [(e["args"].get("camera"), e["args"].get("frame"))] if k[0]]
            for key in flow_frames:
                frames[key].waits[e["name"]].append(e["ph"])
            if e["ph"] == "e":
                _close_wait(events, e)
        elif e["ph"] in ("s", "t", "f"):
            flows[(e["cat"], e["id"])].append(e)
    return Trace(events, threads, dict(frames), dict(flows), alert_spans)


def _close_wait(events: list[dict[str, Any]], end: dict[str, Any]) -> None:
    """Every async end has its begin (same name and id) no later than itself."""
    begins = [
        e for e in events if e["ph"] == "b" and e["name"] == end["name"] and e["id"] == end["id"]
    ]
    assert len(begins) == 1 and begins[0]["ts"] <= end["ts"] + EPS_US, end


def assert_spans_nest(events: list[dict[str, Any]]) -> int:
    """On every thread, two spans are either disjoint or one holds the other (what a viewer
    needs to draw them as a stack). Returns the deepest nesting seen."""
    by_thread: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        if e["ph"] == "X":
            assert e["dur"] >= 0, e
            by_thread[(e["pid"], e["tid"])].append(e)
    deepest = 0
    for spans in by_thread.values():
        spans.sort(key=lambda e: (e["ts"], -e["dur"]))
        stack: list[dict[str, Any]] = []
        for span in spans:
            while stack and stack[-1]["ts"] + stack[-1]["dur"] <= span["ts"] + EPS_US:
                stack.pop()
            if stack:
                outer = stack[-1]
                assert span["ts"] + span["dur"] <= outer["ts"] + outer["dur"] + EPS_US, (
                    f"{span['name']} {span['args']} overlaps {outer['name']} {outer['args']}"
                )
            stack.append(span)
            deepest = max(deepest, len(stack))
    return deepest


def enclosing(trace: Trace, flow_event: dict[str, Any]) -> list[dict[str, Any]]:
    """The spans on the flow event's thread that hold its timestamp, outermost first."""
    return sorted(
        (
            e
            for e in trace.events
            if e["ph"] == "X"
            and e["tid"] == flow_event["tid"]
            and e["ts"] - EPS_US <= flow_event["ts"] <= e["ts"] + e["dur"] + EPS_US
        ),
        key=lambda e: -e["dur"],
    )
