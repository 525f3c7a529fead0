"""`Client`: the blocking client, one socket, for scripts and other threads."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

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


class Client(Methods):
    """Blocking client on one socket. Not thread-safe: one thread per Client."""

    if TYPE_CHECKING:  # the shared methods, with their result types

        def ping(self) -> Json: ...
        def status(self) -> Json: ...
        def cameras_list(self) -> list[Json]: ...
        def watchlists_list(self) -> list[Json]: ...
        def watchlist_reload(self, name: str | None = None) -> Json: ...
        def watchlist_publish(self, name: str, sites: list[str]) -> Json: ...
        def watchlist_withdraw(self, name: str) -> Json: ...
        def alerts_list(self, since_seq: int = 0, limit: int = 100) -> list[Json]: ...
        def alert_adjudicate(
            self, alert_id: str, verdict: str, by: str | None = None, note: str | None = None
        ) -> Json: ...
        def subscribe(self, topics: Sequence[str], since_seq: int | None = None) -> Json: ...
        def unsubscribe(self, topics: Sequence[str]) -> Json: ...
        def ack(self, topic: str, seq: int) -> Json: ...

    def __init__(self, sock: socket.socket, *, timeout: float = 10.0) -> None:
        self._sock = sock
        self._timeout = timeout
        self._core = ClientCore()
        self.server: Json = {}

    @classmethod
    def connect(
        cls, endpoint: Endpoint | None = None, *, name: str = "lfr-python", timeout: float = 10.0
    ) -> Client:
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
            raise ConnectionLost(
                f"cannot connect to {endpoint.unix or endpoint.tcp}: {exc.strerror or exc}"
            ) from None
        client = cls(sock, timeout=timeout)
        try:
            if endpoint.token is not None:
                client._call("auth", token=endpoint.token)
            client.server = client._call("hello", **hello_fields(name))
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
