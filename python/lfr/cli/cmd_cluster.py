"""`lfr watchlist publish` and `lfr watchlist withdraw`: the hub's commands to its sites.

They go through the hub daemon's own socket, never straight to NATS: the hub seals the bundle
with its bundle key, holds the link, and audits the act with the account that asked (the
connection's identity: the OS user on the Unix socket, the token's name over TCP).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfr.cli.store_args import settings
from lfr.errors import InputError

if TYPE_CHECKING:
    from lfr.client import Client


def register(sub: Any, leaf: Any) -> None:
    p = sub.add_parser(
        "publish", help="at the cluster hub: send a sealed watchlist to sites (--sites a,b)"
    )
    p.add_argument("name")
    p.add_argument("--sites", required=True, help="comma-separated site names, e.g. van-3,van-4")
    _socket_arg(p)
    leaf(p, _publish)

    p = sub.add_parser("withdraw", help="at the cluster hub: take a watchlist back from every site")
    p.add_argument("name")
    _socket_arg(p)
    leaf(p, _withdraw)


def _socket_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--socket",
        type=Path,
        metavar="PATH",
        help="the hub daemon's Unix socket (default: from --config, DATA_DIR/lfr.sock)",
    )


def _connect(args: argparse.Namespace) -> Client:
    """The hub daemon's socket (the client is imported here: `lfr` starts faster without)."""
    from lfr.client import Client, Endpoint

    if args.socket is not None:
        return Client.connect(Endpoint(unix=args.socket), name="lfr-watchlist")
    cfg = settings(args)
    home = getattr(args, "home", None) or cfg.daemon.data_dir
    return Client.connect(Endpoint(unix=Path(home) / cfg.socket.unix), name="lfr-watchlist")


def _publish(args: argparse.Namespace) -> int:
    sites = [s.strip() for s in args.sites.split(",") if s.strip()]
    if not sites:
        raise InputError("--sites: name at least one site")
    with _connect(args) as client:
        result = client.watchlist_publish(args.name, sites)
    print(json.dumps(result, sort_keys=True))
    return 0


def _withdraw(args: argparse.Namespace) -> int:
    with _connect(args) as client:
        result = client.watchlist_withdraw(args.name)
    print(json.dumps(result, sort_keys=True))
    return 0
