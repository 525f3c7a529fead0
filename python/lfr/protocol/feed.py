"""AlertFeed: every persisted alert reaches the hub once, in seq order, whoever stored it.

The daemon is not the only writer of a data dir: `lfr scan --watchlist` run against it takes
alert seqs too. Live subscribers skip any seq below one they have seen, and a resume replays
from the store, so an alert that is stored but never published would be missing from a live
stream yet present in a replay. The feed closes that gap: it publishes the daemon's own alerts
at once when they follow the last one published, and otherwise (a gap: another process wrote
in between) reads the missing ones from the store first. It also looks at the store every
`poll_s`, so alerts another process writes while the daemon raises none still go out.

Why filling gaps from the store is safe: SQLite has one writer at a time and a seq is taken
inside the writing transaction, so once seq N is committed every seq below it is committed
too (or was rolled back, freeing it for a later insert). A gap below an alert the daemon just
stored is therefore final: what the store holds there is all there will ever be.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import trio

from lfr.errors import LfrError
from lfr.protocol.hub import EventHub

log = logging.getLogger(__name__)
BATCH = 256
MAX_PENDING = 1024  # offered alerts held for a gap; beyond it the store is their only copy
AlertSource = Callable[[int, int], Awaitable[Sequence[Mapping[str, Any]]]]


class AlertLike(Protocol):
    @property
    def seq(self) -> int: ...

    def to_json(self) -> dict[str, Any]: ...


class AlertFeed:
    """The hub's one input for `alerts`. `offer` never blocks; `run` fills gaps and polls."""

    def __init__(self, hub: EventHub, *, start_after: int, poll_s: float = 0.5) -> None:
        """`start_after`: the store's last seq when the daemon starts; alerts up to it are
        history, which subscribers replay with `since_seq`."""
        self._hub = hub
        self._poll_s = poll_s
        self._last = start_after
        self._pending: dict[int, Mapping[str, Any]] = {}  # offered, waiting for a gap to fill
        self._wake = trio.Event()
        self._failing = False
        self.filled = 0  # alerts published as read from the store, not as offered
        self.read_errors = 0

    @property
    def last_seq(self) -> int:
        return self._last

    @property
    def pending(self) -> int:
        return len(self._pending)

    def offer_alert(self, alert: AlertLike) -> None:
        """For the pipeline's dispatcher: `offer(alert.to_json())`."""
        self.offer({**alert.to_json(), "seq": int(alert.seq)})

    def offer(self, payload: Mapping[str, Any]) -> None:
        """A committed alert (its wire payload, with `seq`). Published now when it follows
        the last one published; otherwise held until `run` has filled the gap."""
        seq = payload["seq"]
        if seq <= self._last:
            return  # already published, read from the store by a fill or a poll
        if seq == self._last + 1 and not self._pending:
            self._publish(seq, payload)
            return
        if len(self._pending) >= MAX_PENDING:
            # The store cannot be read (or is far behind): forget the copies, not the alerts.
            # They are committed, so the next catch-up reads them back in order.
            self._pending.clear()
        self._pending[seq] = payload
        self._wake.set()

    async def run(
        self, source: AlertSource, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        """Fill gaps and poll until cancelled; run again, it goes on where it stopped.
        `source(after, limit)` reads stored alerts in seq order, in the payload replays send
        (`DaemonApi.alerts_since`). Started once the store has been read up to now."""
        started = False
        while True:
            try:
                await self._catch_up(source)
            except (LfrError, OSError, sqlite3.Error) as exc:
                self._note_failure(exc)
            else:
                self._failing = False
            if not started:
                task_status.started()
                started = True
            with trio.move_on_after(self._poll_s):
                await self._wake.wait()
            self._wake = trio.Event()

    async def _catch_up(self, source: AlertSource) -> None:
        """Publish everything stored after the last seq published, until nothing offered is
        left waiting."""
        while True:
            offered = set(self._pending)  # committed before the read below starts
            batch = await source(self._last, BATCH)
            for stored in batch:
                seq = stored["seq"]
                if seq > self._last:
                    own = self._pending.pop(seq, None)
                    if own is None:
                        self.filled += 1
                    self._publish(seq, own if own is not None else stored)
            if len(batch) == BATCH:
                continue
            # The read reached the end of the store and started after these were committed:
            # if it did not return them, they were deleted meanwhile (or published already).
            for seq in offered:
                self._pending.pop(seq, None)
            if not self._pending:
                return

    def _note_failure(self, exc: BaseException) -> None:
        """A store that cannot be read delays alerts; it must not stop the socket. Logged once
        per episode; the next poll tries again."""
        self.read_errors += 1
        if not self._failing:
            log.warning("alerts: cannot read the store (will retry): %s", exc)
        self._failing = True

    def _publish(self, seq: int, payload: Mapping[str, Any]) -> None:
        self._hub.publish("alerts", payload, seq=seq)
        self._last = seq
