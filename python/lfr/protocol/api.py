"""What the socket server needs from the daemon: `DaemonApi`, a structural interface.

The daemon implements it; the server never reaches into the daemon otherwise, so the protocol
can be tested over a real Store without cameras. Results are plain msgpack-able data (maps,
lists, str, int, float, bool, None, bytes): the server sends them as they are.

Errors: raise an `ApiError` subclass to send its stable `code`; any other `LfrError` becomes
`failed` with its message, anything else `internal` (logged, message withheld).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol, TypedDict, runtime_checkable

from lfr.errors import LfrError

Wire = Mapping[str, Any]


class ApiError(LfrError):
    """An error the daemon reports to the client with a stable `code`."""

    code = "failed"


class NotFoundError(ApiError):
    code = "not_found"


class InvalidArgumentError(ApiError):
    code = "invalid_argument"


class ConflictError(ApiError):
    """E.g. adjudicating an alert that already has a different verdict."""

    code = "conflict"


class UnavailableError(ApiError):
    """The daemon cannot serve this now (starting, shutting down, store busy)."""

    code = "unavailable"


class AlertWire(TypedDict):
    """The alert payload, identical in live events, replays, `alerts.list` and
    `alert.adjudicate` results (written by `lfr.pipeline.alerts.alert_wire`).

    `alert_id` is the alert's identity; `seq` the position of its latest state in the alert
    log. A track raises one alert (`kind` "alert", `revision` 0); when its evidence later
    favours another identity the same alert comes again at a new seq as `kind`
    "alert_update" with `revision` 1, 2, ... and `previous_identity`. `status` is "raised" or
    the officer's verdict ("confirmed", "false", "not-engaged")."""

    alert_id: str
    seq: int
    kind: str
    revision: int
    camera: str
    identity: str
    previous_identity: str | None
    label: str | None
    score: float
    threshold: float
    track_id: int
    watchlist: str
    ts: float
    revised_at: float | None
    latency_ms: float | None
    status: str
    adjudicated_by: str | None
    adjudicated_at: float | None
    note: str | None
    has_crop: bool
    site: str | None  # the cluster site that raised it (a hub serves many); None stand-alone


class CameraWire(TypedDict, total=False):
    """One camera in `status` / `cameras.list`; `lfr status` renders these keys."""

    id: str
    state: str  # CameraState name: CONNECTING, LIVE, STALLED, BACKOFF, FAILED, ENDED
    url: str | None  # the camera's URL without credentials (rtsp://***@host/...)
    watchlist: str
    fps_in: float  # frames decoded per second
    fps_analysed: float  # frames analysed per second
    frames: int
    dropped: int  # frames replaced before analysis (keep-latest)
    queue_depth: int
    latency_ms: Mapping[str, float]  # e.g. {"p50": .., "p99": ..} glass-to-decision
    reconnects: int
    last_error: str | None


class StatusWire(TypedDict, total=False):
    """`status` result. The server adds `socket` (paths, clients, subscriber queues)."""

    version: str
    uptime_s: float
    cameras: Sequence[CameraWire]
    alerts_today: int
    last_alert_seq: int
    latency_ms: Mapping[str, Mapping[str, float]]  # stage -> {"p50", "p99"}
    queues: Mapping[str, int]  # queue name -> depth


@runtime_checkable
class DaemonApi(Protocol):
    async def status(self) -> Wire:
        """A `StatusWire` map."""
        ...

    async def cameras_list(self) -> Sequence[Wire]:
        """`CameraWire` maps."""
        ...

    async def watchlists_list(self) -> Sequence[Wire]:
        """One map per loaded watchlist: name, content_hash, identities, threshold,
        expires_at, ..."""
        ...

    async def watchlist_reload(self, name: str | None) -> Wire:
        """Reload one watchlist (all when `name` is None) from the store; return what was
        loaded. Raises NotFoundError for an unknown name."""
        ...

    async def watchlist_publish(self, name: str, sites: list[str], *, actor: str) -> Wire:
        """At a cluster hub: seal `name` and send it to `sites`; what was published (hash,
        bucket, sites). Elsewhere an `InvalidStateError`-coded refusal."""
        ...

    async def watchlist_withdraw(self, name: str, *, actor: str) -> Wire:
        """At a cluster hub: delete the bundle and tell every site to purge `name`."""
        ...

    async def alerts_list(self, since_seq: int, limit: int) -> Sequence[Wire]:
        """Alerts with seq > since_seq, ordered by seq, at most `limit` (`AlertWire` maps)."""
        ...

    async def alert_adjudicate(
        self,
        alert_id: str,
        verdict: str,
        *,
        actor: str,
        on_behalf_of: str | None = None,
        note: str | None = None,
    ) -> Wire:
        """Record a human verdict; returns the updated alert. `actor` is who the connection
        is (the Unix peer's user or the TCP token's name), never a name the client sent;
        `on_behalf_of` is the officer the client named (its `by`), if any. alert_id is the
        idempotency key: repeating the same verdict is not an error."""
        ...

    async def alerts_since(self, seq: int, limit: int) -> Sequence[Wire]:
        """Replay source for `subscribe(since_seq)`: persisted alerts with seq > `seq`, in seq
        order, at most `limit`, in the SAME shape the daemon passes to `EventHub.publish`."""
        ...
