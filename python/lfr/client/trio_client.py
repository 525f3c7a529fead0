"""`AsyncClient`: the trio client, with the same methods as `Client`, and `open_client`."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import trio

from lfr.client.common import Json, Methods, default_socket_path, hello_fields
from lfr.errors import LfrError
from lfr.protocol.client_core import (
    ClientCore,
    ClientError,
    ConnectionLost,
    Endpoint,
    Event,
    Lagged,
)


class AsyncClient(Methods):
    """Trio client. A reader task (in the caller's nursery, via `open`) routes replies to
    their callers and events to `next_event`, so requests and event reading can run in
    different tasks."""

    if TYPE_CHECKING:  # the shared methods, with their result types

        async def ping(self) -> Json: ...
        async def status(self) -> Json: ...
        async def cameras_list(self) -> list[Json]: ...
        async def watchlists_list(self) -> list[Json]: ...
        async def watchlist_reload(self, name: str | None = None) -> Json: ...
        async def watchlist_publish(self, name: str, sites: list[str]) -> Json: ...
        async def watchlist_withdraw(self, name: str) -> Json: ...
        async def alerts_list(self, since_seq: int = 0, limit: int = 100) -> list[Json]: ...
        async def alert_adjudicate(
            self, alert_id: str, verdict: str, by: str | None = None, note: str | None = None
        ) -> Json: ...
        async def subscribe(self, topics: Sequence[str], since_seq: int | None = None) -> Json: ...
        async def unsubscribe(self, topics: Sequence[str]) -> Json: ...
        async def ack(self, topic: str, seq: int) -> Json: ...

    def __init__(
        self, stream: trio.abc.Stream, *, timeout: float = 10.0, max_buffered: int = 10_000
    ) -> None:
        self._stream = stream
        self._timeout = timeout
        self._max_buffered = max_buffered
        self._core = ClientCore()
        self._send_lock = trio.Lock()
        self._changed = trio.Event()  # replaced after each set: a broadcast "look again"
        self._closed: BaseException | None = None
        self.server: Json = {}

    @classmethod
    async def connect(
        cls,
        nursery: trio.Nursery,
        endpoint: Endpoint | None = None,
        *,
        name: str = "lfr-python",
        timeout: float = 10.0,
    ) -> AsyncClient:
        endpoint = endpoint or Endpoint(unix=default_socket_path())
        try:
            if endpoint.unix is not None:
                stream: trio.abc.Stream = await trio.open_unix_socket(os.fspath(endpoint.unix))
            else:
                assert endpoint.tcp is not None
                stream = await trio.open_tcp_stream(*endpoint.tcp)
        except OSError as exc:
            raise ConnectionLost(
                f"cannot connect to {endpoint.unix or endpoint.tcp}: {exc.strerror or exc}"
            ) from None
        client = cls(stream, timeout=timeout)
        nursery.start_soon(client._reader)
        try:
            if endpoint.token is not None:
                await client._call("auth", token=endpoint.token)
            client.server = await client._call("hello", **hello_fields(name))
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
                while (
                    len(self._core.events) >= self._max_buffered
                    and not self._core.replies_awaited()
                ):
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


@asynccontextmanager
async def open_client(
    endpoint: Endpoint | None = None, *, name: str = "lfr-python", timeout: float = 10.0
) -> AsyncIterator[AsyncClient]:
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
