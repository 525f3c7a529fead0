"""Helpers for the in-process daemon tests: build a daemon, follow its alerts, wait."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import trio

from lfr.client import Endpoint, afollow_alerts
from lfr.config import parse_config
from lfr.daemon import Daemon


def make_daemon(home: Path, cameras: list[dict], analyzer, **tracker) -> Daemon:
    cfg = parse_config({"daemon": {"data_dir": str(home)}, "tracker": tracker, "cameras": cameras})
    return Daemon(cfg, handle_signals=False, analyzer=analyzer, announce=lambda _l: None)


async def collect_alerts(
    daemon: Daemon, into: list, *, task_status=trio.TASK_STATUS_IGNORED
) -> None:
    """Follow the daemon's alerts over its real socket (resuming across reconnects)."""
    send, recv = trio.open_memory_channel(100)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(afollow_alerts, send, Endpoint(unix=daemon.endpoints.unix_path), 0)
        task_status.started()
        async for event in recv:
            into.append(event)


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    with trio.move_on_after(timeout) as scope:
        while not predicate():
            await trio.sleep(0.05)
    assert not scope.cancelled_caught, f"timed out waiting for {what}"


def decode_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("lfr-decode")]
