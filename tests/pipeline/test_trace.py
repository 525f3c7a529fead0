"""`lfr scan --trace`: a Chrome trace that accounts for every analysed frame, with spans that
nest on the threads that ran them and flows from a frame's decode to its alert."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_helpers import json_lines, run_lfr

from support.traces import assert_spans_nest, enclosing, read_trace

FRAME_STAGES = ["decode", "analyse", "detect", "track"]


def test_a_scan_trace_accounts_for_every_analysed_frame(
    home: Path, sample_data: Path, tmp_path: Path
) -> None:
    clip = sample_data / "face_recognition/examples/short_hamilton_clip.mp4"
    path = tmp_path / "scan.trace.json"
    proc = run_lfr(["scan", str(clip), "--watchlist", "wl", "--json", "--trace", str(path)], home)
    assert proc.returncode == 0, proc.stderr
    summary = json_lines(proc.stderr)[-1]
    [alert] = json_lines(proc.stdout)
    trace = read_trace(json.loads(path.read_text()))
    camera = alert["camera"]

    # Every analysed frame has its stages, each once, and its two waits, begun and ended.
    assert summary["frames_analysed"] >= 270
    assert sorted(trace.frames) == [(camera, i) for i in range(summary["frames_analysed"])]
    embedded = 0
    analysis_threads = set()
    for key, frame in trace.frames.items():
        assert set(FRAME_STAGES) <= set(frame.spans), key
        assert set(frame.spans) - set(FRAME_STAGES) in (set(), {"embed", "match"}), key
        embedded += "embed" in frame.spans
        assert dict(frame.waits) == {"queue": ["b", "e"], "slot": ["b", "e"]}, key
        decode, analyse = frame.spans["decode"], frame.spans["analyse"]
        assert analyse["args"]["faces"] >= 0
        assert decode["ts"] + decode["dur"] <= analyse["ts"], key  # decoded before analysed
        # Stages on the thread that ran them: decode on the camera's decode thread, detection
        # on a worker thread, the decision (track, embed, match) together on one worker thread.
        assert trace.threads[decode["tid"]] == f"lfr-decode:{camera}"
        assert decode["ts"] + decode["dur"] <= frame.spans["detect"]["ts"], key
        assert frame.spans["detect"]["ts"] + frame.spans["detect"]["dur"] <= analyse["ts"], key
        decision = set(frame.spans) - {"decode", "detect"}
        assert {frame.spans[s]["tid"] for s in decision} == {analyse["tid"]}
        analysis_threads.add(analyse["tid"])
    # (trio may reuse the decode thread for the last frames' analysis once the file ended)
    assert analysis_threads - {frame.spans["decode"]["tid"] for frame in trace.frames.values()}
    assert 0 < embedded <= summary["templates"]
    assert (
        sum(f.spans["analyse"]["args"]["faces"] for f in trace.frames.values())
        == (summary["faces"])
    )
    # Spans nest: track..match inside analyse, nothing overlapping on any thread.
    assert assert_spans_nest(trace.events) == 2

    # One flow per frame, decode -> detect -> track (-> embed -> match), each step inside the
    # span of that stage of that frame.
    frame_flows = {k: v for k, v in trace.flows.items() if k[0] == "frame"}
    assert len(frame_flows) == summary["frames_analysed"]
    for events in frame_flows.values():
        assert [e["ph"] for e in events] == ["s"] + ["t"] * (len(events) - 2) + ["f"]
        stages = [enclosing(trace, e)[-1] for e in events]
        assert len({(s["args"]["camera"], s["args"]["frame"]) for s in stages}) == 1
        names = [s["name"] for s in stages]
        assert names in (
            ["decode", "detect", "track"],
            ["decode", *FRAME_STAGES[2:], "embed", "match"],
        )
        assert all(e.get("bp") == "e" for e in events[1:])

    # The alert: a flow from the frame that raised it to its persist and publish spans.
    [(_, alert_flow)] = [(k, v) for k, v in trace.flows.items() if k[0] == "alert"]
    spans = [enclosing(trace, e)[-1] for e in alert_flow]
    assert [e["ph"] for e in alert_flow] == ["s", "t", "f"]
    assert [s["name"] for s in spans] == ["match", "persist", "publish"]
    raised_by = spans[0]["args"]["frame"]
    assert {s["args"]["frame"] for s in spans} == {raised_by}
    assert {s["args"]["track"] for s in spans[1:]} == {alert["track_id"]}
    assert trace.threads[spans[2]["tid"]] == "trio"
    assert spans[1]["ts"] >= spans[0]["ts"] + spans[0]["dur"]


def test_no_trace_without_the_option(home: Path, sample_data: Path, tmp_path: Path) -> None:
    folder = sample_data / "face_recognition/examples"
    proc = run_lfr(["scan", str(folder), "--watchlist", "wl", "--json"], home)
    assert proc.returncode == 0, proc.stderr
    assert "trace:" not in proc.stderr
    assert not list(tmp_path.glob("*.json"))


def test_a_long_trace_leaves_the_garbage_collector_nothing_to_walk(tmp_path: Path) -> None:
    """A daemon's trace of 12 cameras holds about a million events: kept as objects the
    collector tracks, every full collection would walk them all and stall the cameras (a
    50 ms pause per 250,000 events here). Recorded events are kept as text; the file written
    is the same JSON."""
    import gc
    import time

    from lfr.telemetry.trace import TraceRecorder

    recorder = TraceRecorder()
    gc.collect()
    tracked = len(gc.get_objects())
    for i in range(20_000):
        now = time.monotonic()
        recorder.decoded(f"cam{i % 12:02d}", i, now, now + 0.001)
    assert len(gc.get_objects()) - tracked < 1_000
    path = tmp_path / "trace.json"
    count = recorder.write(path)
    doc = json.loads(path.read_text())
    assert len(doc["traceEvents"]) == count == len(recorder.events())
    decodes = [e for e in doc["traceEvents"] if e.get("name") == "decode"]
    assert len(decodes) == 20_000 and decodes[5]["args"] == {"camera": "cam05", "frame": 5}
