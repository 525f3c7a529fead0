"""`lfr tail` and `lfr status`: the integrator socket from a terminal.

`lfr tail` prints alerts as JSON lines. It records the last seq it printed in a state file
(written atomically after each line), so `lfr tail --resume` continues exactly after it, across
its own restarts and the daemon's: alerts are persisted before they are published and replayed
from the store.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lfr.config.sockets import Problem, parse_host_port
from lfr.errors import ConfigError
from lfr.paths import home_dir

if TYPE_CHECKING:
    from lfr.client import Endpoint


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    tail = sub.add_parser("tail", help="print alerts as JSON lines as they happen")
    _endpoint_args(tail)
    start = tail.add_mutually_exclusive_group()
    start.add_argument(
        "--resume",
        action="store_true",
        help="continue after the last alert a previous `lfr tail` printed",
    )
    start.add_argument(
        "--since", type=int, metavar="SEQ", help="print every alert after sequence number SEQ first"
    )
    tail.add_argument(
        "--state-file",
        type=Path,
        metavar="F",
        help="where the last printed seq is kept (default: DATA_DIR/tail.state)",
    )
    tail.add_argument("--count", type=int, metavar="N", help="exit after N alerts")
    tail.set_defaults(func=cmd_tail)

    status = sub.add_parser("status", help="cameras, rates, latencies, queues, alerts today")
    _endpoint_args(status)
    status.add_argument("--json", action="store_true", help="print the raw status as JSON")
    status.set_defaults(func=cmd_status)


def _endpoint_args(parser: argparse.ArgumentParser) -> None:
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--socket",
        type=Path,
        metavar="PATH",
        help="the daemon's Unix socket (default: $LFR_SOCKET or DATA_DIR/lfr.sock)",
    )
    where.add_argument("--tcp", metavar="HOST:PORT", help="connect over TCP (needs --token-file)")
    where.add_argument(
        "--config",
        type=Path,
        metavar="TOML",
        help="find the socket the way the daemon does, from its config file",
    )
    parser.add_argument("--token-file", type=Path, metavar="F", help="the TCP token file")


def endpoint_from_args(args: argparse.Namespace) -> Endpoint:
    from lfr.client import Endpoint, default_socket_path
    from lfr.protocol.auth import read_token

    if args.tcp:
        if args.token_file is None:
            raise ConfigError("--tcp needs --token-file")
        try:
            host, port = parse_host_port(args.tcp)
        except Problem as exc:
            raise ConfigError(f"--tcp: {exc.message}") from None
        return Endpoint(tcp=(host, port), token=read_token(args.token_file).decode())
    if args.config is not None:
        from lfr.config import load_config

        cfg = load_config(args.config)
        return Endpoint(unix=cfg.socket.unix_path(cfg.daemon.data_dir))
    return Endpoint(unix=args.socket or default_socket_path())


# ---- tail -----------------------------------------------------------------------------------


def read_state(path: Path) -> int | None:
    try:
        state = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ConfigError(f"tail state file {path} is unreadable: {exc}") from None
    seq = state.get("last_seq") if isinstance(state, dict) else None
    if isinstance(seq, bool) or not isinstance(seq, int) or seq < 0:
        raise ConfigError(f"tail state file {path} has no valid last_seq")
    return seq


def write_state(path: Path, seq: int) -> None:
    """Atomic replace, fsynced: a crash leaves the old or the new seq, never a torn file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w") as fh:
            json.dump({"last_seq": seq, "updated": time.time()}, fh)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot print {type(value).__name__}")


def cmd_tail(args: argparse.Namespace) -> int:
    from lfr.client import follow_alerts

    endpoint = endpoint_from_args(args)
    state_file = args.state_file or home_dir() / "tail.state"
    since = args.since
    if args.resume:
        since = read_state(state_file)
        if since is None:
            print(f"lfr tail: no state in {state_file}; starting with live alerts", file=sys.stderr)

    def on_error(exc: Exception, attempt: int) -> None:
        if attempt == 1:
            print(f"lfr tail: {exc}; reconnecting", file=sys.stderr, flush=True)

    alerts = follow_alerts(endpoint, since, name="lfr-tail", on_error=on_error)
    for printed, alert in enumerate(alerts, start=1):
        line = json.dumps(alert.data, separators=(",", ":"), default=_jsonable)
        sys.stdout.write(line + "\n")
        sys.stdout.flush()
        write_state(state_file, alert.seq)  # after the line is out: at-least-once on a crash
        if args.count is not None and printed >= args.count:
            return 0
    return 0


# ---- status ---------------------------------------------------------------------------------


def _num(value: Any, fmt: str = "{:.1f}") -> str:
    return fmt.format(value) if isinstance(value, int | float) else "-"


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]


def _store_line(alerts: dict[str, Any]) -> list[str]:
    """Whether alerts are being written, from the alert actor's counters."""
    if not alerts:
        return []
    condition = alerts.get("store") or "ok"
    line = f"store: {condition}, {alerts.get('pending', 0)} alert(s) pending"
    if condition != "ok":
        since = alerts.get("store_since")
        if isinstance(since, int | float):
            line += f" since {time.strftime('%H:%M:%S', time.localtime(since))}"
        line += f", {alerts.get('store_retries', 0)} retries: {alerts.get('store_error')}"
    return [line]


def render_status(status: dict[str, Any]) -> str:
    lines = []
    failed: list[str] = []
    sock = status.get("socket") or {}
    head = f"lfr {status.get('version', '?')}"
    if isinstance(status.get("uptime_s"), int | float):
        up = int(status["uptime_s"])
        head += f"  up {up // 3600}h{up % 3600 // 60:02d}m{up % 60:02d}s"
    head += f"  socket {sock.get('unix') or '-'}"
    if sock.get("tcp"):
        head += f"  tcp {sock['tcp']}"
    lines.append(head)
    lines.append(
        f"alerts today: {status.get('alerts_today', '-')}   "
        f"last alert seq: {status.get('last_alert_seq', '-')}"
    )
    rows = [
        (
            "CAMERA",
            "STATE",
            "WATCHLIST",
            "FPS IN",
            "FPS ANALYSED",
            "DROPPED",
            "QUEUE",
            "P50 MS",
            "P99 MS",
            "RECONNECTS",
            "RESTARTS",
        )
    ]
    for cam in status.get("cameras") or []:
        lat = cam.get("latency_ms") or {}
        rows.append(
            (
                str(cam.get("id", "?")),
                str(cam.get("state", "?")),
                str(cam.get("watchlist") or "-"),
                _num(cam.get("fps_in")),
                _num(cam.get("fps_analysed")),
                _num(cam.get("dropped"), "{}"),
                _num(cam.get("queue_depth"), "{}"),
                _num(lat.get("p50"), "{:.0f}"),
                _num(lat.get("p99"), "{:.0f}"),
                _num(cam.get("reconnects"), "{}"),
                _num(cam.get("restarts"), "{}"),
            )
        )
        if cam.get("state") == "FAILED" and cam.get("last_error"):
            failed.append(f"camera {cam.get('id')} FAILED: {cam['last_error']}")
    lines += _table(rows)
    lines += failed
    actors = status.get("actors") or {}
    lines += _store_line(actors.get("alerts") or {})
    if actors:
        lines += _table(
            [("ACTOR", "STATE", "RESTARTS", "QUEUE", "DROPPED", "LAST ERROR")]
            + [
                (
                    name,
                    str(a.get("state", "?")),
                    _num(a.get("restarts"), "{}"),
                    _num(a.get("queue_depth"), "{}"),
                    _num(a.get("dropped"), "{}"),
                    str(a.get("last_error") or "-")[:60],
                )
                for name, a in actors.items()
            ]
        )
    for stage, lat in (status.get("latency_ms") or {}).items():
        lines.append(
            f"latency {stage}: p50 {_num(lat.get('p50'), '{:.0f}')} ms  "
            f"p99 {_num(lat.get('p99'), '{:.0f}')} ms"
        )
    queues = status.get("queues") or {}
    if queues:
        lines.append("queues: " + "  ".join(f"{k}={v}" for k, v in queues.items()))
    clients = sock.get("clients") or []
    guarded = {k: sock.get(k) for k in ("refused", "evicted", "failed_auth")}
    lines.append(
        f"socket clients: {len(clients)}"
        + "".join(f"  {k.replace('_', ' ')} {v}" for k, v in guarded.items() if v)
    )
    for c in clients:
        subs = ", ".join(
            f"{t} queued {s.get('queued')}/{s.get('capacity')} missed {s.get('missed')}"
            for t, s in (c.get("topics") or {}).items()
        )
        who = f"{c.get('peer')}, {c.get('actor')}" if c.get("actor") else c.get("peer")
        lines.append(f"  {c.get('client') or '?'} ({who}): {subs or 'no topics'}")
    return "\n".join(lines)


def cmd_status(args: argparse.Namespace) -> int:
    from lfr.client import Client

    with Client.connect(endpoint_from_args(args), name="lfr-status") as client:
        status = client.status()
    if args.json:
        print(json.dumps(status, indent=2, default=_jsonable))
    else:
        print(render_status(status))
    return 0
