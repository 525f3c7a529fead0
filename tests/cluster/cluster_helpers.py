"""Building sites for the cluster tests: configs, in-process daemons, raw NATS access."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import trio

from lfr.cluster.bridge import AsyncioBridge
from lfr.config import Config, parse_config
from lfr.daemon import Daemon
from lfr.store import Store

LFR = [sys.executable, "-m", "lfr.cli.admin"]


def site_config(
    home: Path,
    *,
    role: str,
    url: str,
    bundle_key: Path,
    site: str | None = None,
    sites: list[str] | None = None,
    cameras: list[dict] | None = None,
    cooldown_s: float = 0.5,
    **cluster: Any,
) -> dict[str, Any]:
    """The config of one site as a TOML-shaped mapping."""
    return {
        "daemon": {"data_dir": str(home)},
        "tracker": {"cooldown_s": cooldown_s},
        "watchlists": {"bundle_key_file": str(bundle_key)},
        "cameras": cameras or [],
        "cluster": {
            "role": role,
            "url": url,
            **({"site": site} if site else {}),
            **({"sites": sites} if sites else {}),
            "heartbeat_s": 0.5,
            **cluster,
        },
    }


def clip_camera(clip: Path, *, loop: bool = False) -> dict[str, Any]:
    return {"id": "cam", "url": str(clip), "watchlist": "wl", "loop": loop, "fps": 5}


def make(config: dict[str, Any], analyzer: Any) -> Daemon:
    cfg: Config = parse_config(config)
    return Daemon(cfg, handle_signals=False, analyzer=analyzer, announce=lambda _line: None)


async def wait_for(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    with trio.move_on_after(timeout) as scope:
        while not predicate():
            await trio.sleep(0.05)
    assert not scope.cancelled_caught, f"timed out after {timeout} s waiting for {what}"


def alerts_of(home: Path) -> list:
    with Store.open(home, check=False) as store:
        return store.alerts.query(limit=100_000)


def audit_of(home: Path, action: str) -> list:
    with Store.open(home, check=False) as store:
        return [r for r in store.audit.records() if r.action == action]


def run_lfr(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*LFR, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=120,
        check=False,
    )


async def with_nats(url: str, job: Callable[[Any], Awaitable[Any]]) -> Any:
    """Run `job(nc)` with a raw nats-py connection (the peer a test plays), from trio."""
    import nats

    bridge = AsyncioBridge("test-nats")
    await trio.to_thread.run_sync(bridge.start)

    async def session() -> Any:
        nc = await nats.connect(url)
        try:
            return await job(nc)
        finally:
            await nc.close()

    try:
        return await bridge.call(session)
    finally:
        await trio.to_thread.run_sync(bridge.stop)
