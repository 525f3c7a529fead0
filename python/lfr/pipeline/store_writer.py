"""Store writes that wait out a busy or full database instead of failing.

A long `lfr watchlist import` in another process holds SQLite's write lock; a full disk refuses
every write until space returns. Neither is a reason to lose an alert, nor to stop a camera:
the write is retried unchanged with back-off, the condition is logged once when it starts and
once when it ends, and it is reported (`counters`) so `lfr status` shows why alerts are pending.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import trio

from lfr.kernel.backoff import Backoff
from lfr.store.errors import StoreUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")
OK = "ok"


class StoreWriter:
    """Runs blocking store writes in a worker thread, one call at a time per writer, retrying
    each while the store is unavailable (for as long as it takes: the caller's deadline, a
    stop, is what cuts it short)."""

    def __init__(self, name: str, backoff: Backoff | None = None) -> None:
        self.name = name
        self.backoff = backoff or Backoff(0.1, 5.0, jitter=0.1)
        self.condition = OK  # "ok", or the StoreUnavailable condition ("busy", "disk full")
        self.since: float | None = None  # wall time the condition started
        self.last_error: str | None = None
        self.retries = 0

    async def write(self, fn: Callable[..., T], *args: Any) -> T:
        attempt = 0
        while True:
            try:
                result = await trio.to_thread.run_sync(fn, *args)
            except StoreUnavailable as exc:
                self._blocked(exc)
                await trio.sleep(self.backoff.delay(attempt))
                attempt += 1
                self.retries += 1
                continue
            if self.condition != OK:
                self._resumed()
            return result

    def _blocked(self, exc: StoreUnavailable) -> None:
        self.last_error = str(exc)
        if self.condition != exc.condition:
            self.condition = exc.condition
            self.since = time.time()
            log.warning(
                "%s: store %s; writes wait and are retried: %s", self.name, exc.condition, exc
            )

    def _resumed(self) -> None:
        waited = time.time() - (self.since or time.time())
        log.warning(
            "%s: store writable again after %.1f s %s (%d retries so far)",
            self.name,
            waited,
            self.condition,
            self.retries,
        )
        self.condition, self.since = OK, None

    def counters(self) -> dict[str, Any]:
        return {
            "store": self.condition,
            "store_since": self.since,
            "store_retries": self.retries,
            "store_error": self.last_error if self.condition != OK else None,
        }
