"""Python clients for the lfr integrator socket: `Client` (blocking) and `AsyncClient` (trio),
with the same typed methods, plus `follow_alerts` / `afollow_alerts`, which deliver every alert
exactly once across lagging, reconnects and daemon restarts by resuming from the last seq.

    with Client.connect() as c:                  # $LFR_HOME/lfr.sock
        print(c.status()["cameras"])
    for alert in follow_alerts(Endpoint(unix=path), since_seq=41):
        handle(alert.data)                       # seq 42, 43, ... once each, in order
"""

from __future__ import annotations

from lfr.client.blocking import Client
from lfr.client.common import default_socket_path
from lfr.client.follow import afollow_alerts, follow_alerts
from lfr.client.trio_client import AsyncClient, open_client
from lfr.protocol.client_core import (
    ClientError,
    ConnectionLost,
    Endpoint,
    Event,
    Lagged,
    ServerError,
)

__all__ = [
    "AsyncClient",
    "Client",
    "ClientError",
    "ConnectionLost",
    "Endpoint",
    "Event",
    "Lagged",
    "ServerError",
    "afollow_alerts",
    "default_socket_path",
    "follow_alerts",
    "open_client",
]
