"""Small helpers for driving a CameraSource in tests."""

from __future__ import annotations

import threading

import trio

from lfr.stream import CameraSource, CameraState, Frame


def decode_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("lfr-decode:")]


async def next_frames(source: CameraSource, n: int, timeout_s: float) -> list[Frame]:
    """The next `n` frames (fail the test if they do not come within `timeout_s`)."""
    frames: list[Frame] = []
    with trio.fail_after(timeout_s):
        while len(frames) < n:
            frames.append(await source.frames.get())
    return frames


async def wait_state(source: CameraSource, *states: CameraState, timeout_s: float) -> float:
    """Wait for one of `states`; returns how long it took."""
    t0 = trio.current_time()
    with trio.fail_after(timeout_s):
        await source.wait_state(*states)
    return trio.current_time() - t0
