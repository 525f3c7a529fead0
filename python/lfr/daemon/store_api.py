"""`StoreDaemonApi`: the store-backed half of `DaemonApi` (alerts, verdicts, watchlists).

The daemon subclasses it (or wraps it) and overrides `status`, `cameras_list` and
`watchlist_reload` with live pipeline data; the socket tests use it as is over a real Store.
Alerts go out in the one wire shape (`lfr.pipeline.alerts.alert_wire`), the shape the
pipeline offers to the `AlertFeed` live, so live events and replays are identical (the feed
also publishes what `alerts_since` returns for alerts other processes stored).

SQLite work runs in a worker thread (the store's connection is lock-protected and not bound to
a thread), so the socket never stalls the trio loop on disk I/O.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import trio

import lfr
from lfr.calibration import CalibrationError
from lfr.pipeline.alerts import alert_wire
from lfr.protocol.api import InvalidArgumentError, NotFoundError, UnavailableError, Wire
from lfr.store import AlertNotFound, Store, StoreError, WatchlistNotFound
from lfr.store.alerts import Alert, normalise_verdict
from lfr.store.watchlist_records import WatchlistInfo

ReloadHook = Callable[[str | None], Awaitable[Wire]]


def _midnight(now: float) -> float:
    t = time.localtime(now)
    return time.mktime((t.tm_year, t.tm_mon, t.tm_mday, 0, 0, 0, 0, 0, -1))


class StoreDaemonApi:
    def __init__(
        self,
        store: Store,
        *,
        reload: ReloadHook | None = None,
        on_verdict: Callable[[Wire], object] | None = None,
    ) -> None:
        """`on_verdict(alert)`: told of every verdict recorded here, as the adjudicated alert
        (the daemon publishes it on the hub's `verdicts` topic)."""
        self.store = store
        self._reload = reload
        self.on_verdict = on_verdict
        self._started = time.monotonic()

    async def _run(self, fn: Callable[..., Any], *args: Any) -> Any:
        return await trio.to_thread.run_sync(fn, *args)

    async def status(self) -> Wire:
        def read() -> dict[str, Any]:
            return {
                "alerts_today": self.store.alerts.count_since(_midnight(time.time())),
                "last_alert_seq": self.store.alerts.last_seq(),
            }

        result: dict[str, Any] = await self._run(read)
        result.update(
            version=lfr.__version__,
            uptime_s=time.monotonic() - self._started,
            cameras=list(await self.cameras_list()),
        )
        return result

    async def cameras_list(self) -> Sequence[Wire]:
        return []  # the daemon knows its cameras; the store does not

    async def watchlists_list(self) -> Sequence[Wire]:
        """Every stored watchlist, with the threshold it is matched at: its own, or the one its
        target FPIR gives at its size (`threshold_source` says which; `stored_threshold` is
        what `--threshold` set, None for auto)."""
        infos = await self._run(self.store.watchlists.all)
        return [_watchlist_wire(w) for w in infos]

    async def watchlist_reload(self, name: str | None) -> Wire:
        if name is not None:
            try:
                await self._run(self.store.watchlists.get, name)
            except WatchlistNotFound as exc:
                raise NotFoundError(str(exc)) from None
        if self._reload is None:
            return {"reloaded": []}
        return await self._reload(name)

    async def alerts_list(self, since_seq: int, limit: int) -> Sequence[Wire]:
        return await self.alerts_since(since_seq, limit)

    async def alerts_since(self, seq: int, limit: int) -> Sequence[Wire]:
        def read() -> list[dict[str, Any]]:
            return [self.wire(a) for a in self.store.alerts.list_since(seq, limit)]

        result: list[dict[str, Any]] = await self._run(read)
        return result

    def wire(self, alert: Alert) -> dict[str, Any]:
        """The alert payload, labelled from the store (blocking). The daemon labels from the
        watchlists it has loaded instead; the shape is the same."""
        return alert_wire(alert, self._label(alert.watchlist, alert.identity))

    def _label(self, watchlist: str, identity: str) -> str | None:
        try:
            known = self.store.watchlists.identities(watchlist)
        except WatchlistNotFound:  # deleted since the alert: no label, the alert stays
            return None
        return next((i.label for i in known if i.identity_id == identity), None)

    async def alert_adjudicate(
        self,
        alert_id: str,
        verdict: str,
        *,
        actor: str,
        on_behalf_of: str | None = None,
        note: str | None = None,
    ) -> Wire:
        try:
            value = normalise_verdict(verdict)
        except StoreError as exc:
            raise InvalidArgumentError(str(exc)) from None

        def judge() -> dict[str, Any]:
            judged = self.store.alerts.adjudicate(
                alert_id, value, actor=actor, on_behalf_of=on_behalf_of, note=note
            )
            return self.wire(judged)

        try:
            result: dict[str, Any] = await self._run(judge)
        except AlertNotFound as exc:
            raise NotFoundError(str(exc)) from None
        except StoreError as exc:
            raise InvalidArgumentError(str(exc)) from None
        self.verdict_recorded(result)
        return result

    def verdict_recorded(self, judged: Wire) -> None:
        """Every verdict recorded in the daemon (through the socket or the console) is told
        here once, as the adjudicated alert."""
        if self.on_verdict is not None:
            self.on_verdict(judged)

    async def watchlist_publish(self, name: str, sites: list[str], *, actor: str) -> Wire:
        raise UnavailableError('this daemon is not a cluster hub ([cluster] role = "hub")')

    async def watchlist_withdraw(self, name: str, *, actor: str) -> Wire:
        raise UnavailableError('this daemon is not a cluster hub ([cluster] role = "hub")')


def _watchlist_wire(w: WatchlistInfo) -> Wire:
    keys = ("threshold", "threshold_source", "expected_fpir")
    try:
        c = w.calibration().as_dict()
        effective = {k: c[k] for k in keys}
    except CalibrationError:  # no threshold of its own and no reference to calibrate from
        effective = dict.fromkeys(keys)
    return {
        "name": w.name,
        "content_hash": w.content_hash,
        "identities": w.identities,
        "templates": w.templates,
        **effective,
        "stored_threshold": w.threshold,
        "target_fpir": w.target_fpir,
        "expires_at": w.expires_at,
        "expired": w.expired(),
        "purpose": w.purpose,
    }
