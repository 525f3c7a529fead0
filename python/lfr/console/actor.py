"""The console as one supervised actor of the daemon's tree: its hub feed and its web server.

The server is `lfr.http.HttpActor` (Hypercorn's trio worker on a socket the daemon bound at
start); this adds the `ConsoleFeed` beside it, so a restart of the console restarts both and
open pages reconnect and resume from their last seq. A stop ends every open event stream
first, so the server's graceful stop is not held up by pages that never finish loading.
"""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import trio

from lfr.console.app import build_app
from lfr.console.feed import ConsoleFeed
from lfr.console.sessions import SessionBook
from lfr.console.web import ConsoleContext, DaemonView
from lfr.errors import ConfigError
from lfr.http import HttpActor, ListenError, TlsFiles, bind
from lfr.kernel.actor import Counters

if TYPE_CHECKING:
    from lfr.config import ConsoleConfig
    from lfr.protocol.hub import EventHub
    from lfr.store import Store

CONSOLE_ACTOR = "console"


class ConsoleActor(HttpActor):
    def __init__(
        self, ctx: ConsoleContext, sock: socket.socket, *, tls: TlsFiles | None = None
    ) -> None:
        super().__init__(CONSOLE_ACTOR, build_app(ctx), sock, tls=tls)
        self.ctx = ctx

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as nursery:
            await nursery.start(self.ctx.feed.run)
            await super().run(task_status=task_status)  # until the server stops
            nursery.cancel_scope.cancel()

    def request_stop(self) -> None:
        self.ctx.feed.close_all()
        super().request_stop()

    def counters(self) -> Counters:
        out = super().counters()
        out["pages_open"] = self.ctx.feed.pages
        out["events_delivered"] = self.ctx.feed.delivered
        out["sessions"] = len(self.ctx.sessions)
        return out


def console_actor(
    config: ConsoleConfig,
    store: Store,
    daemon: DaemonView,
    hub: EventHub,
    *,
    analyzer: Any = None,
) -> ConsoleActor:
    """The console as `[console]` configures it, its socket bound now: a port in use or an
    address that does not exist stops the daemon's start with the key to change."""
    try:
        sock = bind(config.address)
    except ListenError as exc:
        raise ConfigError(f"console.{exc.key}: {exc.message}") from None
    ctx = ConsoleContext(
        store=store,
        daemon=daemon,
        hub=hub,
        feed=ConsoleFeed(hub),
        sessions=SessionBook(idle_s=config.idle_timeout_s, max_s=config.session_max_s),
        tls=config.tls,
        analyzer=analyzer,
    )
    tls = (
        TlsFiles(config.cert_file, config.key_file)
        if config.cert_file is not None and config.key_file is not None
        else None
    )
    return ConsoleActor(ctx, sock, tls=tls)
