"""The daemon's HTTP endpoints, shared: listen settings, the exposure rule, and an actor that
serves an ASGI app (Hypercorn's trio worker).

    address = parse_listen(cfg.listen)                  # ListenError names the key
    check_exposure(address, section="metrics", allow_remote=cfg.allow_remote)
    actor = HttpActor("metrics", app, bind(address))    # bind: a taken port fails here
    await supervisor.start(actor, policy)               # served until the supervisor stops it

Sections wrap `ListenError` in their own `Problem(exc.key, exc.message)` so the config
validator names the full key (`metrics.listen`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lfr.http.address import ListenAddress, ListenError, check_exposure, parse_listen

if TYPE_CHECKING:
    from lfr.http.server import HttpActor, TlsFiles, bind

_SERVER = ("HttpActor", "TlsFiles", "bind")

__all__ = [
    "HttpActor",
    "ListenAddress",
    "ListenError",
    "TlsFiles",
    "bind",
    "check_exposure",
    "parse_listen",
]


def __getattr__(name: str) -> Any:
    # The server (Hypercorn, Starlette) on first use: the config validates listen addresses
    # without it, and `lfr scan` never serves HTTP.
    if name in _SERVER:
        from lfr.http import server

        return getattr(server, name)
    raise AttributeError(f"module 'lfr.http' has no attribute {name!r}")
