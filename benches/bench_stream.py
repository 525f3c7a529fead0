"""What the trio bridge costs: frames per second of a CameraSource reading a file whole
(decode thread -> trio.from_thread -> blocking mailbox -> an async consumer) against a plain
PyAV loop decoding the same file to the same BGR arrays in one thread.

    .venv/bin/python benches/bench_stream.py [CLIP] [--repeat 9]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import trio

from lfr.paths import sample_data_dir
from lfr.stream import open_camera


def plain_pyav(clip: Path) -> int:
    n = 0
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            np.ascontiguousarray(frame.to_ndarray(format="bgr24"))
            n += 1
    return n


def camera_source(clip: Path) -> int:
    async def consume() -> int:
        source = open_camera(str(clip), camera_id="bench")
        n = 0
        async with trio.open_nursery() as nursery:
            await nursery.start(source.run)
            async for _frame in source.frames:
                n += 1
        return n

    return trio.run(consume)


def measure(clip: Path, repeat: int) -> dict[str, tuple[int, float]]:
    """Interleaved runs (plain, lfr, plain, lfr, ...): on a shared box the load drifts, and
    interleaving gives both the same conditions. Median fps of each."""
    fns: dict[str, Callable[[Path], int]] = {
        "plain PyAV loop": plain_pyav,
        "lfr CameraSource": camera_source,
    }
    rates: dict[str, list[float]] = {name: [] for name in fns}
    frames: dict[str, int] = {}
    for _ in range(repeat):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            frames[name] = fn(clip)
            rates[name].append(frames[name] / (time.perf_counter() - t0))
    return {name: (frames[name], statistics.median(r)) for name, r in rates.items()}


def main() -> None:
    parser = argparse.ArgumentParser()
    default = (
        (sample_data_dir() or Path("."))
        / "face_recognition"
        / "examples"
        / "short_hamilton_clip.mp4"
    )
    parser.add_argument("clip", nargs="?", type=Path, default=default)
    parser.add_argument("--repeat", type=int, default=9)
    args = parser.parse_args()
    print(f"clip: {args.clip}")
    results = measure(args.clip, args.repeat)
    for name, (frames, fps) in results.items():
        print(f"{name:18s} {frames} frames  median {fps:7.1f} fps  (of {args.repeat})")
    ratio = results["lfr CameraSource"][1] / results["plain PyAV loop"][1]
    print(f"lfr / plain: {ratio:.2f}x")


if __name__ == "__main__":
    main()
