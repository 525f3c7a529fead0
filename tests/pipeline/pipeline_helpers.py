"""Helpers for the pipeline and daemon tests: run the CLI, read its JSON lines, run the daemon
in-process and follow its alerts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import trio

from lfr.client import Endpoint, afollow_alerts
from lfr.config import parse_config
from lfr.daemon import Daemon

LFR = [sys.executable, "-m", "lfr.cli.admin"]


def run_lfr(args: list[str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "LFR_HOME": str(home)}
    return subprocess.run(
        [*LFR, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def make_daemon(home: Path, cameras: list[dict], analyzer, **tracker) -> Daemon:
    """The daemon in-process on `home`, with the test session's models."""
    cfg = parse_config({"daemon": {"data_dir": str(home)}, "tracker": tracker, "cameras": cameras})
    return Daemon(cfg, handle_signals=False, analyzer=analyzer, announce=lambda _l: None)


async def collect_alerts(
    daemon: Daemon, into: list, *, task_status=trio.TASK_STATUS_IGNORED
) -> None:
    """Follow the daemon's alerts over its real socket, from the first, into `into`."""
    send, recv = trio.open_memory_channel(100)
    async with trio.open_nursery() as nursery:
        nursery.start_soon(afollow_alerts, send, Endpoint(unix=daemon.endpoints.unix_path), 0)
        task_status.started()
        async for event in recv:
            into.append(event)


async def wait_for(predicate, timeout: float, what: str) -> None:
    with trio.move_on_after(timeout) as scope:
        while not predicate():
            await trio.sleep(0.05)
    assert not scope.cancelled_caught, f"timed out waiting for {what}"


def wait_ready(proc: subprocess.Popen[str], timeout: float = 60) -> list[str]:
    """The stderr lines of a starting `lfr-run` up to its "ready" line (kills it if none)."""
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if "ready" in line:
            return lines
    proc.kill()
    raise AssertionError("lfr-run did not become ready:\n" + "".join(lines))
