"""Request handlers: one method per request kind, each turning a validated request into a call
on `DaemonApi` (or on the connection's subscriptions) and a result map.

Kept apart from `connection.py` so the transport state machine and the request semantics can
be read (and changed) separately: the handlers see a connection only through `Session`, the
four things a request may use.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from lfr.errors import InputError, LfrError, StateError
from lfr.protocol import messages as m
from lfr.protocol.api import ApiError, DaemonApi
from lfr.protocol.codec import FrameTooLarge
from lfr.protocol.subscriptions import Subscriptions

After = list[Callable[[], Awaitable[None] | None]]


class Session(Protocol):
    """What a request may use of the connection it arrived on."""

    @property
    def api(self) -> DaemonApi: ...

    @property
    def actor(self) -> str:
        """Who is on the other end: the Unix peer's user, or the TCP token's name."""
        ...

    @property
    def subscriptions(self) -> Subscriptions: ...

    def socket_status(self) -> dict[str, Any]:
        """The `socket` section of `status`."""
        ...


def error_for(exc: BaseException) -> tuple[str, str]:
    """(code, message) for a failed request. Unexpected errors keep their details in the log."""
    if isinstance(exc, m.ProtocolError):
        return exc.code, str(exc)
    if isinstance(exc, ApiError):
        return exc.code, str(exc)
    if isinstance(exc, FrameTooLarge):
        return m.ErrorCode.LIMIT_EXCEEDED, f"{exc}; ask for less (e.g. a smaller limit)"
    if isinstance(exc, StateError):
        return m.ErrorCode.INVALID_STATE, str(exc)
    if isinstance(exc, InputError | ValueError) and isinstance(exc, LfrError):
        return m.ErrorCode.INVALID_ARGUMENT, str(exc)
    if isinstance(exc, LfrError):
        return m.ErrorCode.FAILED, str(exc)
    return m.ErrorCode.INTERNAL, "internal error; see the daemon log"


def _nonempty(name: str, value: str) -> str:
    if not value.strip():
        raise m.ProtocolError(m.ErrorCode.INVALID_REQUEST, f"`{name}` must not be empty")
    return value


def _optional(name: str, value: str | None) -> str | None:
    return None if value is None else _nonempty(name, value)


class RequestHandlers:
    def __init__(self, session: Session) -> None:
        self._session = session
        self._table: dict[type[m.Request], Callable[[Any, After], Awaitable[Any]]] = {
            m.Auth: self._already,
            m.Hello: self._already,
            m.Ping: self.ping,
            m.Status: self.status,
            m.CamerasList: self.cameras_list,
            m.WatchlistsList: self.watchlists_list,
            m.WatchlistReload: self.watchlist_reload,
            m.WatchlistPublish: self.watchlist_publish,
            m.WatchlistWithdraw: self.watchlist_withdraw,
            m.AlertsList: self.alerts_list,
            m.AlertAdjudicate: self.alert_adjudicate,
            m.Subscribe: self.subscribe,
            m.Unsubscribe: self.unsubscribe,
            m.Ack: self.ack,
        }

    async def dispatch(self, request: m.Request, after: After) -> Any:
        return await self._table[type(request)](request, after)

    async def _already(self, request: m.Request, after: After) -> Any:
        raise m.ProtocolError(
            m.ErrorCode.INVALID_STATE,
            f"`{request.TYPE}` is only valid at the start of a connection",
        )

    async def ping(self, request: m.Ping, after: After) -> Any:
        return {"time": time.time()}

    async def status(self, request: m.Status, after: After) -> Any:
        result = dict(await self._session.api.status())
        result["socket"] = self._session.socket_status()
        return result

    async def cameras_list(self, request: m.CamerasList, after: After) -> Any:
        return list(await self._session.api.cameras_list())

    async def watchlists_list(self, request: m.WatchlistsList, after: After) -> Any:
        return list(await self._session.api.watchlists_list())

    async def watchlist_reload(self, request: m.WatchlistReload, after: After) -> Any:
        return await self._session.api.watchlist_reload(request.name)

    async def watchlist_publish(self, request: m.WatchlistPublish, after: After) -> Any:
        return await self._session.api.watchlist_publish(
            _nonempty("name", request.name), list(request.sites), actor=self._session.actor
        )

    async def watchlist_withdraw(self, request: m.WatchlistWithdraw, after: After) -> Any:
        return await self._session.api.watchlist_withdraw(
            _nonempty("name", request.name), actor=self._session.actor
        )

    async def alerts_list(self, request: m.AlertsList, after: After) -> Any:
        return list(await self._session.api.alerts_list(request.since_seq, request.limit))

    async def alert_adjudicate(self, request: m.AlertAdjudicate, after: After) -> Any:
        return await self._session.api.alert_adjudicate(
            _nonempty("alert_id", request.alert_id),
            _nonempty("verdict", request.verdict),
            actor=self._session.actor,
            on_behalf_of=_optional("by", request.by),
            note=request.note,
        )

    def _topics(self, topics: tuple[str, ...]) -> tuple[str, ...]:
        if not topics:
            raise m.ProtocolError(m.ErrorCode.INVALID_REQUEST, "`topics` must not be empty")
        known = self._session.subscriptions.hub.topics
        for topic in topics:
            if topic not in known:
                raise m.ProtocolError(
                    m.ErrorCode.INVALID_REQUEST,
                    f"unknown topic {topic[:64]!r}; topics: {', '.join(known)}",
                )
        if len(set(topics)) != len(topics):
            raise m.ProtocolError(m.ErrorCode.INVALID_REQUEST, "`topics` has duplicates")
        return topics

    async def subscribe(self, request: m.Subscribe, after: After) -> Any:
        """Live subscriptions are registered BEFORE the reply (and before any replay) so that
        nothing published from here on can be missed; pumps start after the reply so that
        every event follows it on the wire. Subscribing again replaces the subscription."""
        topics = self._topics(request.topics)
        if request.since_seq is not None and "alerts" not in topics:
            raise m.ProtocolError(
                m.ErrorCode.INVALID_REQUEST, "`since_seq` applies to the `alerts` topic only"
            )
        subs = self._session.subscriptions
        for topic in topics:
            await subs.stop(topic)
        pumps = {t: subs.open(t) for t in topics}

        def start() -> None:
            for topic, pump in pumps.items():
                subs.start(topic, pump, request.since_seq if topic == "alerts" else None)

        after.append(start)
        return {
            "topics": sorted(subs.pumps),
            "last_seq": {t: subs.hub.last_seq(t) for t in topics},
        }

    async def unsubscribe(self, request: m.Unsubscribe, after: After) -> Any:
        subs = self._session.subscriptions
        for topic in self._topics(request.topics):
            await subs.stop(topic)
        return {"topics": sorted(subs.pumps)}

    async def ack(self, request: m.Ack, after: After) -> Any:
        pump = self._session.subscriptions.pumps.get(request.topic)
        if pump is None:
            raise m.ProtocolError(
                m.ErrorCode.INVALID_STATE, f"not subscribed to {request.topic[:64]!r}"
            )
        if pump.delivered_seq is None or request.seq > pump.delivered_seq:
            raise m.ProtocolError(
                m.ErrorCode.INVALID_REQUEST, f"seq {request.seq} has not been delivered"
            )
        pump.acked_seq = max(request.seq, pump.acked_seq or 0)
        return {"topic": request.topic, "acked_seq": pump.acked_seq}
