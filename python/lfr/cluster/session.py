"""What every cluster loop shares: the bridge, the NATS link, the keys, the counters, and the
rule for failures of the link.

A lost link is normal for a van, not an error: each loop (`forever`) retries its step with
the kernel's back-off while NATS cannot be reached and counts it, and the rest of the daemon
never notices. A bug is another matter: anything that is not a link failure propagates, the
cluster actor crashes, and its supervisor decides (`lfr.daemon.policies`).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import nats.errors
import trio

from lfr.cluster.bridge import AsyncioBridge, BridgeClosed
from lfr.cluster.link import NatsLink
from lfr.kernel.backoff import Backoff

if TYPE_CHECKING:
    from lfr.config.cluster import ClusterConfig
    from lfr.store import Store

T = TypeVar("T")
log = logging.getLogger("lfr.cluster")

# What a lost or refused link raises through the bridge.
LINK_ERRORS = (nats.errors.Error, TimeoutError, ConnectionError, OSError, BridgeClosed)
RETRY = Backoff(0.2, 5.0)


@dataclass
class Session:
    cfg: ClusterConfig
    store: Store
    bridge: AsyncioBridge
    link: NatsLink
    signing_key: bytes | None = None
    bundle_key: bytes | None = None
    counts: Counter[str] = field(default_factory=Counter)
    last_error: str | None = None

    @property
    def site(self) -> str:
        return self.cfg.site_name

    async def nats(self, fn: Callable[..., Awaitable[T]], *args: Any) -> T:
        """Call one of the link's coroutines on the bridge."""
        return await self.bridge.call(fn, *args)

    async def db(self, fn: Callable[..., T], *args: Any) -> T:
        """Call a blocking store function in a worker thread."""
        return await trio.to_thread.run_sync(fn, *args)

    async def forever(self, what: str, step: Callable[[], Awaitable[bool]], idle_s: float) -> None:
        """Run `step` again and again: at once while it reports work done, after `idle_s`
        when it did none, with back-off while the link is down."""
        failures = 0
        while True:
            try:
                busy = await step()
            except LINK_ERRORS as exc:
                failures += 1
                self.counts["link_errors"] += 1
                self.last_error = f"{what}: {type(exc).__name__}: {exc}"
                if failures == 1 or failures % 50 == 0:
                    log.warning("cluster %s: link unavailable (%s); retrying", what, exc)
                await trio.sleep(RETRY.delay(min(failures, 8)))
                continue
            if failures:
                log.info("cluster %s: link back after %d failed attempt(s)", what, failures)
                failures = 0
            if not busy:
                await trio.sleep(idle_s)


def read_key_file(path: Path | None) -> bytes | None:
    if path is None:
        return None
    from lfr.watchlist.bundle import read_key

    return read_key(path)
