"""From a tracker decision to an alert the world can see: persist first, then tell.

A decision is an alert (a track's first) or a revision of it (the track's evidence now favours
another identity); both reach every output and subscriber in the one wire shape of
`EmittedAlert`, the revision as kind "alert_update" with the same `alert_id`.

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
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol, TextIO

from lfr.jpeg import encode_jpeg
from lfr.pipeline.latency import LatencyBook
from lfr.store.alerts import AlertRecord, AlertRevision

if TYPE_CHECKING:
    from lfr.pipeline.analysis import AlertCandidate
    from lfr.store import Store
    from lfr.store.alerts import Alert

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class EmittedAlert:
    """An alert as persisted and published: the one wire shape of an alert, identical in live
    socket events, replays, `alerts.list`, stdout JSON lines and the alert log. `alert_id` is
    the alert's identity and doubles as an idempotency key; `seq` is the position of its
    latest state in the alert log. `kind` is "alert" when raised and "alert_update" once a
    revision changed the identity it names (`previous_identity` is the one before)."""

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
    site: str | None  # the cluster site that raised it; None for a stand-alone daemon

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_stored(cls, alert: Alert, label: str | None) -> EmittedAlert:
        return cls(
            alert_id=alert.alert_id,
            seq=alert.seq,
            kind="alert" if alert.revision == 0 else "alert_update",
            revision=alert.revision,
            camera=alert.camera,
            identity=alert.identity,
            previous_identity=alert.previous_identity,
            label=label,
            score=round(alert.score, 4),
            threshold=alert.threshold,
            track_id=alert.track_id,
            watchlist=alert.watchlist,
            ts=alert.ts,
            revised_at=alert.revised_at,
            latency_ms=None if alert.latency_ms is None else round(alert.latency_ms, 2),
            status=alert.status,
            adjudicated_by=alert.adjudicated_by,
            adjudicated_at=alert.adjudicated_at,
            note=alert.note,
            has_crop=alert.crop_jpeg is not None,
            site=alert.site,
        )


def alert_wire(alert: Alert, label: str | None) -> dict[str, Any]:
    """The one serializer of a stored alert for every output and subscriber."""
    return EmittedAlert.from_stored(alert, label).to_json()


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
            if alert.kind == "alert":
                stamp = time.strftime("%H:%M:%S", time.localtime(alert.ts))
                head = f"ALERT #{alert.seq} {stamp}"
                tail = f"latency={alert.latency_ms or 0:.0f}ms"
            else:
                stamp = time.strftime("%H:%M:%S", time.localtime(alert.revised_at or alert.ts))
                head = f"ALERT UPDATE #{alert.seq} {stamp} revision {alert.revision}:"
                tail = f"was={alert.previous_identity}"
            line = (
                f"{head} camera={alert.camera} {who} score={alert.score:.3f} "
                f"track={alert.track_id} {tail} id={alert.alert_id}"
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
        site: str | None = None,
    ) -> None:
        self._store = store
        self._site = site  # the cluster site this daemon is (lfr.cluster); None stand-alone
        self._outputs = list(outputs)
        self._latency = latency
        self._publish = publish
        self._keep_crops = keep_crops
        self.emitted = 0
        self.output_errors = 0
        self.run_id: str | None = None  # set by the engine while a run is open

    def transaction(self) -> AbstractContextManager[object]:
        """One store transaction that the `persist` and `revise` calls inside join: a burst
        of decisions committed (and synced to disk) once."""
        return self._store.db.transaction()

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
            site=self._site,
        )
        return EmittedAlert.from_stored(self._store.alerts.record(record), label)

    def revise(self, alert_id: str, cand: AlertCandidate, label: str | None = None) -> EmittedAlert:
        """Commit a revision of the track's alert to the store (blocking: a worker thread)."""
        revision = AlertRevision(
            identity=cand.identity,
            score=cand.score,
            threshold=cand.threshold,
            watchlist_hash=cand.watchlist_hash,
            ts=cand.wall_ts,
            crop_jpeg=encode_jpeg(cand.crop) if self._keep_crops else None,
        )
        return EmittedAlert.from_stored(self._store.alerts.revise(alert_id, revision), label)

    def announce(self, alert: EmittedAlert) -> EmittedAlert:
        """Tell subscribers and outputs about a persisted alert or revision, exactly as stored
        (never blocks on them)."""
        if self._publish is not None:
            self._publish(alert)
        for output in self._outputs:
            try:
                output.emit(alert)
            except OSError as exc:  # a full disk or closed pipe must not stop alerting
                self.output_errors += 1
                log.error("alert output %s failed: %s", type(output).__name__, exc)
        if alert.kind == "alert" and alert.latency_ms is not None:
            self._latency.record({"glass_to_alert": alert.latency_ms})
        self.emitted += 1
        return alert
