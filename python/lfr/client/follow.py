"""Following the alerts topic exactly once: resume from the last seq across `lagged`,
reconnects and daemon restarts (the server replays from its store after that seq)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

import trio

from lfr.client.blocking import Client
from lfr.client.trio_client import open_client
from lfr.protocol.client_core import ConnectionLost, Endpoint, Event, Lagged


def _newest(status: Any) -> int | None:
    seq = status.get("last_alert_seq") if isinstance(status, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _backoff(attempt: int) -> float:
    return float(min(5.0, 0.1 * 2 ** min(attempt, 6)) * random.uniform(0.8, 1.2))


def follow_alerts(
    endpoint: Endpoint | None = None,
    since_seq: int | None = None,
    *,
    name: str = "lfr-follow",
    max_attempts: int | None = None,
    timeout: float = 10.0,
    on_error: Callable[[ConnectionLost, int], None] | None = None,
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
                        client.subscribe(
                            ["alerts"], since_seq=last if last is not None else item.last_seq
                        )
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


async def afollow_alerts(
    send: trio.MemorySendChannel[Event],
    endpoint: Endpoint | None = None,
    since_seq: int | None = None,
    *,
    name: str = "lfr-follow",
    max_attempts: int | None = None,
    timeout: float = 10.0,
) -> None:
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
                        await client.subscribe(
                            ["alerts"], since_seq=last if last is not None else item.last_seq
                        )
                    elif last is None or item.seq > last:
                        await send.send(item)
                        last = item.seq
        except* ConnectionLost as group:
            failures += 1
            if max_attempts is not None and failures >= max_attempts:
                raise group.exceptions[0] from None
        await trio.sleep(_backoff(failures))
