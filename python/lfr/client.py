"""Python clients for the lfr integrator socket: `Client` (blocking) and `AsyncClient` (trio),
with the same typed methods, plus `follow_alerts` / `afollow_alerts`, which deliver every alert
exactly once across lagging, reconnects and daemon restarts by resuming from the last seq.

    with Client.connect() as c:                  # $LFR_HOME/lfr.sock
        print(c.status()["cameras"])
    for alert in follow_alerts(Endpoint(unix=path), since_seq=41):
        handle(alert.data)                       # seq 42, 43, ... once each, in order
"""

from __future__ import annotations

import os
import random
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from lfr.errors import LfrError
from lfr.paths import home_dir
from lfr.protocol.client_core import (
    ClientCore,
    ClientError,
    ConnectionLost,
    Endpoint,
    Event,
    Lagged,
    ServerError,
)
from lfr.protocol.messages import PROTOCOL_VERSION

__all__ = ["AsyncClient", "Client", "ClientError", "ConnectionLost", "Endpoint", "Event",
           "Lagged", "ServerError", "afollow_alerts", "default_socket_path", "follow_alerts",
           "open_client"]
Json = dict[str, Any]


def default_socket_path() -> Path:
    """`$LFR_SOCKET`, else `<data dir>/lfr.sock` (the daemon's default)."""
    value = os.environ.get("LFR_SOCKET")
    return Path(value) if value else home_dir() / "lfr.sock"


class _Methods:
    """The typed request methods, written once: `_call` is sync or async in the subclasses, so
    each method returns what `_call` returns (a value, or an awaitable of it)."""

    def _call(self, kind: str, **fields: Any) -> Any:
        raise NotImplementedError

    def ping(self) -> Any:
        return self._call("ping")

    def status(self) -> Any:
        """Daemon status: cameras, states, rates, latencies, queue depths, alerts today."""
        return self._call("status")

    def cameras_list(self) -> Any:
        return self._call("cameras.list")

    def watchlists_list(self) -> Any:
        return self._call("watchlists.list")

    def watchlist_reload(self, name: str | None = None) -> Any:
        return self._call("watchlist.reload", name=name)

    def alerts_list(self, since_seq: int = 0, limit: int = 100) -> Any:
        """Persisted alerts with seq > since_seq, oldest first."""
        return self._call("alerts.list", since_seq=since_seq, limit=limit)

    def alert_adjudicate(self, alert_id: str, verdict: str, by: str,
                         note: str | None = None) -> Any:
        return self._call("alert.adjudicate", alert_id=alert_id, verdict=verdict, by=by,
                          note=note)

    def subscribe(self, topics: Sequence[str], since_seq: int | None = None) -> Any:
        """Start (or restart) topics; with since_seq, alerts after it are replayed first."""
        return self._call("subscribe", topics=list(topics), since_seq=since_seq)

    def unsubscribe(self, topics: Sequence[str]) -> Any:
        return self._call("unsubscribe", topics=list(topics))

    def ack(self, topic: str, seq: int) -> Any:
        return self._call("ack", topic=topic, seq=seq)


def _hello_fields(name: str) -> Json:
    return {"version": PROTOCOL_VERSION, "client": name}


class Client(_Methods):
    """Blocking client on one socket. Not thread-safe: one thread per Client."""

    if TYPE_CHECKING:  # the shared methods, with their result types
        def ping(self) -> Json: ...
        def status(self) -> Json: ...
        def cameras_list(self) -> list[Json]: ...
        def watchlists_list(self) -> list[Json]: ...
        def watchlist_reload(self, name: str | None = None) -> Json: ...
        def alerts_list(self, since_seq: int = 0, limit: int = 100) -> list[Json]: ...
        def alert_adjudicate(self, alert_id: str, verdict: str, by: str,
                             note: str | None = None) -> Json: ...
        def subscribe(self, topics: Sequence[str], since_seq: int | None = None) -> Json: ...
        def unsubscribe(self, topics: Sequence[str]) -> Json: ...
        def ack(self, topic: str, seq: int) -> Json: ...

    def __init__(self, sock: socket.socket, *, timeout: float = 10.0) -> None:
        self._sock = sock
        self._timeout = timeout
        self._core = ClientCore()
        self.server: Json = {}

    @classmethod
    def connect(cls, endpoint: Endpoint | None = None, *, name: str = "lfr-python",
                timeout: float = 10.0) -> Client:
        endpoint = endpoint or Endpoint(unix=default_socket_path())
        try:
            if endpoint.unix is not None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(timeout)
                sock.connect(os.fspath(endpoint.unix))
            else:
                assert endpoint.tcp is not None
                sock = socket.create_connection(endpoint.tcp, timeout=timeout)
        except OSError as exc:
            raise ConnectionLost(f"cannot connect to {endpoint.unix or endpoint.tcp}: "
                                 f"{exc.strerror or exc}") from None
        client = cls(sock, timeout=timeout)
        try:
            if endpoint.token is not None:
                client._call("auth", token=endpoint.token)
            client.server = client._call("hello", **_hello_fields(name))
        except BaseException:
            client.close()
            raise
        return client

    def close(self) -> None:
        self._sock.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _receive(self, timeout: float | None) -> bool:
        """Read once; False on timeout."""
        self._sock.settimeout(timeout)
        try:
            data = self._sock.recv(256 * 1024)
        except TimeoutError:
            return False
        except OSError as exc:
            raise ConnectionLost(f"connection failed: {exc}") from None
        if not data:
            raise self._core.fatal or ConnectionLost("server closed the connection")
        try:
            self._core.feed(data)
        except ClientError:
            raise
        except LfrError as exc:  # a frame the codec refused: the stream is unusable
            raise ConnectionLost(f"bad data from server: {exc}") from None
        return True

    def _call(self, kind: str, **fields: Any) -> Any:
        request_id, frame = self._core.request(kind, fields)
        try:
            self._sock.settimeout(self._timeout)
            self._sock.sendall(frame)
        except OSError as exc:
            raise ConnectionLost(f"connection failed: {exc}") from None
        deadline = time.monotonic() + self._timeout
        while request_id not in self._core.replies:
            left = deadline - time.monotonic()
            if left <= 0 or not self._receive(left):
                raise ConnectionLost(f"no reply to {kind} within {self._timeout:g}s")
        return self._core.result(request_id)

    def next_event(self, timeout: float | None = None) -> Event | Lagged | None:
        """The next event or lagged notice of a current subscription; None after `timeout`."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            while self._core.events:
                item = self._core.events.popleft()
                if self._core.current(item):
                    return item
            left = None if deadline is None else deadline - time.monotonic()
            if left is not None and left <= 0:
                return None
            self._receive(left)


class AsyncClient(_Methods):
    """Trio client. A reader task (in the caller's nursery, via `open`) routes replies to
    their callers and events to `next_event`, so requests and event reading can run in
    different tasks."""

    if TYPE_CHECKING:  # the shared methods, with their result types
        async def ping(self) -> Json: ...
        async def status(self) -> Json: ...
        async def cameras_list(self) -> list[Json]: ...
        async def watchlists_list(self) -> list[Json]: ...
        async def watchlist_reload(self, name: str | None = None) -> Json: ...
        async def alerts_list(self, since_seq: int = 0, limit: int = 100) -> list[Json]: ...
        async def alert_adjudicate(self, alert_id: str, verdict: str, by: str,
                                   note: str | None = None) -> Json: ...
        async def subscribe(self, topics: Sequence[str], since_seq: int | None = None) -> Json: ...
        async def unsubscribe(self, topics: Sequence[str]) -> Json: ...
        async def ack(self, topic: str, seq: int) -> Json: ...

    def __init__(self, stream: trio.abc.Stream, *, timeout: float = 10.0,
                 max_buffered: int = 10_000) -> None:
        self._stream = stream
        self._timeout = timeout
        self._max_buffered = max_buffered
        self._core = ClientCore()
        self._send_lock = trio.Lock()
        self._changed = trio.Event()  # replaced after each set: a broadcast "look again"
        self._closed: BaseException | None = None
        self.server: Json = {}

    @classmethod
    async def connect(cls, nursery: trio.Nursery, endpoint: Endpoint | None = None, *,
                      name: str = "lfr-python", timeout: float = 10.0) -> AsyncClient:
        endpoint = endpoint or Endpoint(unix=default_socket_path())
        try:
            if endpoint.unix is not None:
                stream: trio.abc.Stream = await trio.open_unix_socket(os.fspath(endpoint.unix))
            else:
                assert endpoint.tcp is not None
                stream = await trio.open_tcp_stream(*endpoint.tcp)
        except OSError as exc:
            raise ConnectionLost(f"cannot connect to {endpoint.unix or endpoint.tcp}: "
                                 f"{exc.strerror or exc}") from None
        client = cls(stream, timeout=timeout)
        nursery.start_soon(client._reader)
        try:
            if endpoint.token is not None:
                await client._call("auth", token=endpoint.token)
            client.server = await client._call("hello", **_hello_fields(name))
        except BaseException:
            await client.aclose()
            raise
        return client

    async def aclose(self) -> None:
        await trio.aclose_forcefully(self._stream)

    async def _reader(self) -> None:
        try:
            while True:
                data = await self._stream.receive_some(256 * 1024)
                if not data:
                    raise self._core.fatal or ConnectionLost("server closed the connection")
                self._core.feed(data)
                self._notify()
                # stop reading while the application is behind: the server then queues, and
                # reports `lagged`, instead of this process buffering without bound
                while len(self._core.events) >= self._max_buffered and \
                        not self._core.replies_awaited():
                    await self._changed.wait()
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            self._closed = ConnectionLost(f"connection failed: {exc!r}")
        except ClientError as exc:
            self._closed = exc
        except LfrError as exc:  # a frame the codec refused: the stream is unusable
            self._closed = ConnectionLost(f"bad data from server: {exc}")
        finally:
            self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = trio.Event()

    async def _wait(self, ready: Callable[[], bool]) -> None:
        while not ready():
            if self._closed is not None:
                raise self._closed
            await self._changed.wait()

    async def _call(self, kind: str, **fields: Any) -> Any:
        request_id, frame = self._core.request(kind, fields)
        if self._closed is not None:
            raise self._closed
        try:
            async with self._send_lock:
                await self._stream.send_all(frame)
        except (trio.BrokenResourceError, trio.ClosedResourceError, OSError) as exc:
            raise ConnectionLost(f"connection failed: {exc!r}") from None
        self._notify()  # a reader paused on a full buffer must read the reply
        with trio.move_on_after(self._timeout):
            await self._wait(lambda: request_id in self._core.replies)
            return self._core.result(request_id)
        raise ConnectionLost(f"no reply to {kind} within {self._timeout:g}s")

    async def next_event(self) -> Event | Lagged:
        """The next event or lagged notice of a current subscription (wrap in a trio timeout
        to bound the wait)."""
        while True:
            await self._wait(lambda: bool(self._core.events))
            item = self._core.events.popleft()
            if len(self._core.events) == self._max_buffered - 1:
                self._notify()  # the reader may be waiting for room
            if self._core.current(item):
                return item


def _newest(status: Any) -> int | None:
    seq = status.get("last_alert_seq") if isinstance(status, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _backoff(attempt: int) -> float:
    return float(min(5.0, 0.1 * 2 ** min(attempt, 6)) * random.uniform(0.8, 1.2))


def follow_alerts(endpoint: Endpoint | None = None, since_seq: int | None = None, *,
                  name: str = "lfr-follow", max_attempts: int | None = None,
                  timeout: float = 10.0,
                  on_error: Callable[[ConnectionLost, int], None] | None = None
                  ) -> Iterator[Event]:
    """Yield every alert after `since_seq` exactly once, in seq order, reconnecting with
    backoff and resubscribing after `lagged`. `since_seq=None` starts after the newest alert
    the daemon has persisted (its status' `last_alert_seq`).
    Gives up (ConnectionLost) after `max_attempts` failed connects in a row; `on_error` hears
    of each failure with the attempt count."""
    last, failures = since_seq, 0
    while True:
        try:
            with Client.connect(endpoint, name=name, timeout=timeout) as client:
                failures = 0
                if last is None:  # "from now" = after the newest persisted alert, so a
                    last = _newest(client.status())  # reconnect cannot skip any
                client.subscribe(["alerts"], since_seq=last)
                while True:
                    item = client.next_event()
                    if isinstance(item, Lagged):
                        client.subscribe(["alerts"], since_seq=last if last is not None
                                         else item.last_seq)
                    elif item is not None and (last is None or item.seq > last):
                        last = item.seq
                        yield item
        except ConnectionLost as exc:
            failures += 1
            if on_error is not None:
                on_error(exc, failures)
            if max_attempts is not None and failures >= max_attempts:
                raise
            time.sleep(_backoff(failures))


@asynccontextmanager
async def open_client(endpoint: Endpoint | None = None, *, name: str = "lfr-python",
                      timeout: float = 10.0) -> AsyncIterator[AsyncClient]:
    """`async with open_client(endpoint) as client:` runs the reader task for you."""
    failure: ClientError | None = None
    async with trio.open_nursery() as nursery:
        try:
            client = await AsyncClient.connect(nursery, endpoint, name=name, timeout=timeout)
        except ClientError as exc:  # raised as itself, not wrapped in an ExceptionGroup
            failure = exc
            nursery.cancel_scope.cancel()
        else:
            try:
                yield client
            finally:
                await client.aclose()
    if failure is not None:
        raise failure


async def afollow_alerts(send: trio.MemorySendChannel[Event], endpoint: Endpoint | None = None,
                         since_seq: int | None = None, *, name: str = "lfr-follow",
                         max_attempts: int | None = None, timeout: float = 10.0) -> None:
    """The trio twin of `follow_alerts`: run it in a nursery and read alerts from the other
    end of `send` (a slow reader makes the server report `lagged`, handled here)."""
    last, failures = since_seq, 0
    while True:
        try:
            async with open_client(endpoint, name=name, timeout=timeout) as client:
                failures = 0
                if last is None:
                    last = _newest(await client.status())
                await client.subscribe(["alerts"], since_seq=last)
                while True:
                    item = await client.next_event()
                    if isinstance(item, Lagged):
                        await client.subscribe(["alerts"], since_seq=last
                                               if last is not None else item.last_seq)
                    elif last is None or item.seq > last:
                        await send.send(item)
                        last = item.seq
        except* ConnectionLost as group:
            failures += 1
            if max_attempts is not None and failures >= max_attempts:
                raise group.exceptions[0] from None
        await trio.sleep(_backoff(failures))
