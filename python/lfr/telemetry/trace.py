"""Per-frame traces in the Chrome trace-event JSON format (opens in Perfetto UI and
chrome://tracing), to see where one slow frame spent its time.

The format, kept stable for the tools that read it (`benches/`, the trace test):

- one complete span (`"ph": "X"`, category `stage`) per stage per frame, on the thread that ran
  it: `decode` on the camera's decode thread; `detect` on the worker thread that detected the
  frame (a camera detects its next frame while the one before is tracked); `analyse` on the
  worker thread that decided on it, holding `track` and, when templates were computed, `embed`
  and `match`; `persist` on the
  worker thread that wrote the alert, `publish` on the trio thread. Every span's `args` carry
  `camera` and `frame` (the frame's index); `decode` and `analyse` also `faces` where known.
- waits as async spans (`"ph": "b"`/`"e"`, category `wait`, `id` the frame's flow id):
  `queue` (decoded -> taken from the camera's mailbox) and `slot` (taken -> a worker thread
  started detecting it).
- flow events (`"s"`, `"t"`, `"f"`, at the middle of the span they belong to, and bound to
  it with `"bp": "e"`): category
  `frame` links a frame's decode -> detect -> track -> embed -> match; category `alert` links
  the match (or track) span of the frame that raised an alert to its persist and publish.
- metadata: `process_name`, and `thread_name` for every thread that recorded a span.

Timestamps are microseconds from the recorder's start, on `time.monotonic()` (the clock every
stage timer of the pipeline uses). Recording is a list append under a lock, of the event already
encoded as JSON text (text does not weigh on the garbage collector; see `__init__`): the
recorder is on for a scan (`--trace`) or the first N seconds of a daemon (`--trace-seconds`),
and callers hold `None` instead of a recorder otherwise, so tracing off costs a branch per
frame.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

Event = dict[str, Any]

_encode = functools.partial(json.dumps, separators=(",", ":"))

# Frame flow ids: the camera's number (from 1, in order of first sight) above the frame index.
_CAMERA_SHIFT = 32
# Alert flow ids: the camera's number, the decision's revision, the track id.
_ALERT_CAMERA_SHIFT = 40
_ALERT_REVISION_SHIFT = 32


class TraceRecorder:
    def __init__(self, *, seconds: float | None = None, process: str = "lfr") -> None:
        """`seconds`: stop recording this long after the start (None: until `close`)."""
        self._lock = threading.Lock()
        # Each event encoded when recorded: text is invisible to the garbage collector, while
        # a long trace held as dicts (a million of them at 12 cameras) makes every full
        # collection walk them all, a pause of 50 ms and more that stalls every camera.
        self._events: list[str] = []
        self._threads: dict[int, str] = {}
        self._cameras: dict[str, int] = {}
        self._decode_ends: dict[str, float] = {}  # per camera: one decode thread writes it
        self._t0 = time.monotonic()
        self._until = self._t0 + seconds if seconds is not None else float("inf")
        self._closed = False
        self._pid = os.getpid()
        self.process = process

    # --- state ------------------------------------------------------------------------------

    @property
    def active(self) -> bool:
        return not self._closed and time.monotonic() < self._until

    @property
    def deadline(self) -> float:
        """When recording stops (monotonic seconds; inf without a limit)."""
        return self._until

    def close(self) -> None:
        """Record nothing more (what was recorded is kept for `write`)."""
        self._closed = True

    def __len__(self) -> int:
        return len(self._events)

    # --- ids --------------------------------------------------------------------------------

    def camera_number(self, camera: str) -> int:
        number = self._cameras.get(camera)
        if number is None:
            with self._lock:
                number = self._cameras.setdefault(camera, len(self._cameras) + 1)
        return number

    def frame_flow(self, camera: str, index: int) -> int:
        return (self.camera_number(camera) << _CAMERA_SHIFT) | (index & 0xFFFFFFFF)

    def alert_flow(self, camera: str, track_id: int, revision: int) -> int:
        return (
            (self.camera_number(camera) << _ALERT_CAMERA_SHIFT)
            | ((revision & 0xFF) << _ALERT_REVISION_SHIFT)
            | (track_id & 0xFFFFFFFF)
        )

    # --- what the pipeline records ----------------------------------------------------------

    def decoded(self, camera: str, index: int, start: float, end: float) -> None:
        """A frame's decode span; call it on the decode thread. Its time is measured in parts
        (the picture's share of a packet's decode, its conversion) and drawn as one span
        ending at delivery, never reaching back over the previous frame's."""
        if not self.active:
            return
        start = max(start, self._decode_ends.get(camera, start))
        self._decode_ends[camera] = end
        flow = self.frame_flow(camera, index)
        tid = self._tid()
        self._add(
            [
                self._span("decode", start, end, tid, {"camera": camera, "frame": index}),
                self._flow("s", "frame", flow, (start + end) / 2, tid),
            ]
        )

    def detected(
        self, camera: str, index: int, *, decoded: float, dequeued: float, start: float, end: float
    ) -> None:
        """A frame's waits and its detection; call it on the thread that detected it (a camera
        detects its next frame while the one before is tracked, often on another thread)."""
        if not self.active:
            return
        flow = self.frame_flow(camera, index)
        tid = self._tid()
        args = {"camera": camera, "frame": index}
        self._add(
            [
                self._wait("b", "queue", decoded, flow, args),
                self._wait("e", "queue", dequeued, flow, args),
                self._wait("b", "slot", dequeued, flow, args),
                self._wait("e", "slot", start, flow, args),
                self._span("detect", start, end, tid, args),
                self._flow("t", "frame", flow, (start + end) / 2, tid),
            ]
        )

    def analysed(
        self,
        camera: str,
        index: int,
        *,
        faces: int,
        start: float,
        stages: Iterable[tuple[str, float]],
        alerts: Iterable[tuple[int, int]] = (),
    ) -> None:
        """A frame's decision step (after `detected`); call it on the thread that ran it.
        `stages` are (name, seconds) back to back from `start`; `alerts` the (track id,
        revision) of each decision the frame raised (a flow starts at its last stage)."""
        if not self.active:
            return
        flow = self.frame_flow(camera, index)
        tid = self._tid()
        args = {"camera": camera, "frame": index}
        events = []
        t = start
        spans: list[tuple[str, float, float]] = []
        for name, seconds in stages:
            spans.append((name, t, t + seconds))
            t += seconds
        events.append(self._span("analyse", start, t, tid, {**args, "faces": faces}))
        for i, (name, begin, end) in enumerate(spans):
            events.append(self._span(name, begin, end, tid, args))
            at = (begin + end) / 2  # inside this span only, not also its parent's start
            events.append(self._flow("f" if i == len(spans) - 1 else "t", "frame", flow, at, tid))
        if spans:
            for track_id, revision in alerts:
                alert = self.alert_flow(camera, track_id, revision)
                events.append(
                    self._flow("s", "alert", alert, (spans[-1][1] + spans[-1][2]) / 2, tid)
                )
        self._add(events)

    def alert_stage(
        self,
        name: str,
        camera: str,
        index: int,
        start: float,
        end: float,
        *,
        track_id: int,
        revision: int,
        last: bool,
    ) -> None:
        """`persist` or `publish` of the decision raised by frame `index`; call it on the
        thread that ran the stage."""
        if not self.active:
            return
        tid = self._tid()
        args = {"camera": camera, "frame": index, "track": track_id, "revision": revision}
        alert = self.alert_flow(camera, track_id, revision)
        self._add(
            [
                self._span(name, start, end, tid, args),
                self._flow("f" if last else "t", "alert", alert, (start + end) / 2, tid),
            ]
        )

    # --- output -----------------------------------------------------------------------------

    def events(self) -> list[Event]:
        """Metadata first, then the events in the order recorded."""
        return [json.loads(e) for e in self._encoded()]

    def write(self, path: Path) -> int:
        """Write the trace (blocking: a thread in trio); returns the number of events."""
        encoded = self._encoded()
        about = {
            "displayTimeUnit": "ms",
            "otherData": {"producer": self.process, "cameras": dict(self._cameras)},
        }
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            fh.write(_encode(about)[:-1] + ',"traceEvents":[')
            fh.write(",".join(encoded))
            fh.write("]}")
        tmp.replace(path)
        return len(encoded)

    def _encoded(self) -> list[str]:
        with self._lock:
            recorded = list(self._events)
            threads = dict(self._threads)
        meta: list[Event] = [
            {"ph": "M", "name": "process_name", "pid": self._pid, "args": {"name": self.process}}
        ]
        meta += [
            {"ph": "M", "name": "thread_name", "pid": self._pid, "tid": tid, "args": {"name": n}}
            for tid, n in sorted(threads.items())
        ]
        return [_encode(e) for e in meta] + recorded

    # --- building events ----------------------------------------------------------------------

    def _us(self, t: float) -> float:
        return round((t - self._t0) * 1e6, 3)

    def _tid(self) -> int:
        tid = threading.get_native_id()
        if tid not in self._threads:
            with self._lock:
                self._threads[tid] = _thread_name(threading.current_thread(), len(self._threads))
        return tid

    def _span(
        self, name: str, start: float, end: float, tid: int, args: Mapping[str, Any]
    ) -> Event:
        return {
            "ph": "X",
            "cat": "stage",
            "name": name,
            "pid": self._pid,
            "tid": tid,
            "ts": self._us(start),
            "dur": round(max(0.0, end - start) * 1e6, 3),
            "args": dict(args),
        }

    def _flow(self, ph: str, cat: str, flow: int, at: float, tid: int) -> Event:
        event: Event = {
            "ph": ph,
            "cat": cat,
            "name": cat,
            "id": flow,
            "pid": self._pid,
            "tid": tid,
            "ts": self._us(at),
        }
        if ph != "s":
            event["bp"] = "e"  # bound to the span that encloses it, not the next one
        return event

    def _wait(self, ph: str, name: str, t: float, flow: int, args: Mapping[str, Any]) -> Event:
        return {
            "ph": ph,
            "cat": "wait",
            "name": name,
            "id": flow,
            "pid": self._pid,
            "tid": 0,
            "ts": self._us(t),
            "args": dict(args),
        }

    def _add(self, events: list[Event]) -> None:
        encoded = [_encode(e) for e in events]
        with self._lock:
            self._events.extend(encoded)


def _thread_name(thread: threading.Thread, seen: int) -> str:
    """The camera's decode threads keep their names (`lfr-decode:<camera>`); trio's worker
    threads take a new name for each job, so they are numbered instead."""
    if thread is threading.main_thread():
        return "trio"
    if thread.name.startswith("lfr-"):
        return thread.name
    return f"worker {seen}"
