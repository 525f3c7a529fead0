"""From a tracker decision to an alert the world can see: persist first, then tell.

An alert is written to the store (one committed transaction) before any output or subscriber
hears of it, so a crash can lose a notification but never an alert: a subscriber that resumes
from its last sequence number re-reads it from the store. Outputs are best-effort and must not
block the pipeline; a failing output is logged and counted, never fatal.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from lfr.jpeg import encode_jpeg
from lfr.pipeline.latency import LatencyBook
from lfr.store.alerts import AlertRecord

if TYPE_CHECKING:
    from lfr.pipeline.analysis import AlertCandidate
    from lfr.store import Store
    from lfr.store.alerts import Alert

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EmittedAlert:
    """An alert as persisted and published. `alert_id` doubles as an idempotency key."""

    alert_id: str
    seq: int
    camera: str
    identity: str
    label: str | None
    score: float
    threshold: float
    track_id: int
    watchlist: str
    ts: float
    latency_ms: float | None
    status: str = "raised"

    def to_json(self) -> dict[str, Any]:
        """The wire shape: identical in live events, replays and `alerts.list`."""
        return asdict(self)

    @classmethod
    def from_stored(cls, alert: Alert, label: str | None) -> EmittedAlert:
        return cls(
            alert_id=alert.alert_id,
            seq=alert.seq,
            camera=alert.camera,
            identity=alert.identity,
            label=label,
            score=round(alert.score, 4),
            threshold=alert.threshold,
            track_id=alert.track_id,
            watchlist=alert.watchlist,
            ts=alert.ts,
            latency_ms=alert.latency_ms,
            status=alert.status,
        )


class AlertOutput(Protocol):
    def emit(self, alert: EmittedAlert) -> None: ...


class StreamOutput:
    """Alerts on a text stream: JSON lines, or one readable line each for a person watching."""

    def __init__(self, stream: TextIO | None = None, *, as_json: bool = False) -> None:
        self._stream = stream if stream is not None else sys.stdout
        self._json = as_json

    def emit(self, alert: EmittedAlert) -> None:
        if self._json:
            line = json.dumps(alert.to_json(), separators=(",", ":"))
        else:
            who = f"{alert.identity} ({alert.label})" if alert.label else alert.identity
            stamp = time.strftime("%H:%M:%S", time.localtime(alert.ts))
            line = (
                f"ALERT #{alert.seq} {stamp} camera={alert.camera} {who} "
                f"score={alert.score:.3f} track={alert.track_id} "
                f"latency={alert.latency_ms:.0f}ms id={alert.alert_id}"
            )
        print(line, file=self._stream, flush=True)


class AlertDispatcher:
    """Persists tracker decisions as alerts and fans them out to the outputs."""

    def __init__(
        self,
        store: Store,
        outputs: Sequence[AlertOutput],
        latency: LatencyBook,
        *,
        publish: Callable[[EmittedAlert], object] | None = None,
        keep_crops: bool = True,
    ) -> None:
        self._store = store
        self._outputs = list(outputs)
        self._latency = latency
        self._publish = publish
        self._keep_crops = keep_crops
        self.emitted = 0
        self.output_errors = 0
        self.run_id: str | None = None  # set by the engine while a run is open

    def persist(self, cand: AlertCandidate, label: str | None = None) -> EmittedAlert:
        """Commit one alert to the store (blocking: run it in a worker thread)."""
        crop = encode_jpeg(cand.crop) if self._keep_crops else None
        record = AlertRecord(
            camera=cand.camera,
            ts=cand.wall_ts,
            watchlist=cand.watchlist,
            watchlist_hash=cand.watchlist_hash,
            identity=cand.identity,
            score=cand.score,
            threshold=cand.threshold,
            track_id=cand.track_id,
            crop_jpeg=crop,
            latency_ms=(time.monotonic() - cand.t_decoded) * 1e3,
            run_id=self.run_id,
        )
        return EmittedAlert.from_stored(self._store.alerts.record(record), label)

    def announce(self, alert: EmittedAlert, t_decoded: float) -> EmittedAlert:
        """Tell subscribers and outputs about a persisted alert (never blocks on them)."""
        latency_ms = (time.monotonic() - t_decoded) * 1e3
        alert = replace(alert, latency_ms=round(latency_ms, 2))
        if self._publish is not None:
            self._publish(alert)
        for output in self._outputs:
            try:
                output.emit(alert)
            except OSError as exc:  # a full disk or closed pipe must not stop alerting
                self.output_errors += 1
                log.error("alert output %s failed: %s", type(output).__name__, exc)
        self._latency.record({"glass_to_alert": latency_ms})
        self.emitted += 1
        return alert
