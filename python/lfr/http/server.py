"""An ASGI app served as one supervised actor: Hypercorn's trio worker on a socket bound once.

The daemon binds the socket itself (`bind`) before it starts the tree, for two reasons: a port
that is taken or an address that does not exist stops the start with the setting to fix, not a
restart loop; and the socket outlives the actor, so while a crashed server restarts, clients
queue in the listen backlog instead of being refused. Each run hands Hypercorn a duplicate of
the descriptor (`fd://`), which Hypercorn may close as it likes.

A stop is graceful: no new connections, requests in flight get `graceful_s` to finish.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from lfr.http.address import ListenAddress, ListenError
from lfr.kernel.actor import Actor, Counters

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    # An ASGI application: (scope, receive, send). Starlette's apps are ones.
    AsgiApp = Callable[[Any, Any, Any], Awaitable[None]]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class TlsFiles:
    """A PEM certificate chain and its private key: the endpoint speaks HTTPS."""

    cert_file: Path
    key_file: Path


def bind(address: ListenAddress, *, key: str = "listen") -> socket.socket:
    """A listening TCP socket on `address`; ListenError naming `key` when it cannot be had
    (address in use, no such interface)."""
    family = socket.AF_INET6 if ":" in address.host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((address.host, address.port))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        raise ListenError(key, f"cannot listen on {address}: {exc.strerror or exc}") from None
    return sock


class HttpActor(Actor[None]):
    """Serves `app` on `sock` (from `bind`) until asked to stop. `url` is where it answers."""

    def __init__(
        self,
        name: str,
        app: AsgiApp,
        sock: socket.socket,
        *,
        tls: TlsFiles | None = None,
        graceful_s: float = 1.0,
    ) -> None:
        super().__init__(name)
        self.app = app
        self.sock = sock
        self.tls = tls
        self.graceful_s = graceful_s
        self.requests = 0
        self._stopping = trio.Event()

    @property
    def address(self) -> ListenAddress:
        host, port = self.sock.getsockname()[:2]
        return ListenAddress(host, port)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.address}"

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        from hypercorn.config import Config
        from hypercorn.trio import serve

        self._stopping = trio.Event()
        config = Config()
        config.bind = [f"fd://{os.dup(self.sock.fileno())}"]
        config.accesslog = None
        config.errorlog = log
        config.graceful_timeout = self.graceful_s
        if self.tls is not None:
            config.certfile = str(self.tls.cert_file)
            config.keyfile = str(self.tls.key_file)
        async with trio.open_nursery() as nursery:
            await nursery.start(
                functools.partial(
                    serve, self._counted, config, shutdown_trigger=self._stopping.wait
                )
            )
            task_status.started()

    async def _counted(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.requests += 1
        await self.app(scope, receive, send)

    def request_stop(self) -> None:
        self._stopping.set()

    def close(self) -> None:
        """Close the listening socket (after the actor's last stop)."""
        self.sock.close()

    def counters(self) -> Counters:
        out = super().counters()
        out["url"] = self.url
        out["requests"] = self.requests
        return out
