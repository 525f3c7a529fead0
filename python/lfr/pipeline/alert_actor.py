"""The alert actor: every tracker decision goes through its mailbox, is persisted, then told.

One actor, taking its messages in order (those queued together in one transaction), so the order
alerts are persisted in (their seq) is the order they are published in, across cameras: a live
subscriber holding seq 6 never misses seq 5. The mailbox is bounded and blocking: while the
store is busy or the disk full, decisions wait in it in order and the cameras keep analysing;
only if it fills does a camera wait to hand one over, so no alert is ever dropped. Persisting
and announcing are the dispatcher's (the seam where alerts are written and fanned out); this
actor only orders and retries them.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import trio

from lfr.kernel.actor import Actor, Counters
from lfr.kernel.mailbox import Mailbox, MailboxPolicy
from lfr.pipeline.store_writer import StoreWriter
from lfr.telemetry import OFF, Telemetry

if TYPE_CHECKING:
    from lfr.pipeline.alerts import AlertDispatcher, EmittedAlert
    from lfr.pipeline.analysis import AlertCandidate
    from lfr.pipeline.camera import CameraContext
    from lfr.pipeline.latency import LatencyBook

log = logging.getLogger(__name__)

R = TypeVar("R")

ALERTS_ACTOR = "alerts"
PENDING_ALERTS = 1024  # decisions that may wait for the store before a camera has to
BATCH_ALERTS = 64  # decisions persisted in one transaction at most


@dataclass(frozen=True, slots=True)
class AlertJob:
    """A tracker decision on its way to the store, with the camera it counts for."""

    candidate: AlertCandidate
    camera: CameraContext


class AlertActor(Actor[AlertJob]):
    batch_limit = BATCH_ALERTS

    def __init__(
        self,
        dispatcher: AlertDispatcher,
        label_of: Callable[[str, str], str | None],
        latency: LatencyBook,
        *,
        capacity: int = PENDING_ALERTS,
        writer: StoreWriter | None = None,
        telemetry: Telemetry = OFF,
    ) -> None:
        super().__init__(
            ALERTS_ACTOR, mailbox=Mailbox(capacity, MailboxPolicy.BLOCK, name="alerts.mailbox")
        )
        self._dispatcher = dispatcher
        self._label_of = label_of
        self._latency = latency
        self.writer = writer or StoreWriter(ALERTS_ACTOR)
        self.telemetry = telemetry
        self._in_hand = 0

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            await super().run(task_status=task_status)
        except trio.Cancelled:
            # A stop past its deadline (the store stayed unavailable): say what is lost.
            if self.pending:
                log.error(
                    "alerts: stopped with %d alert(s) not persisted (store %s: %s)",
                    self.pending,
                    self.writer.condition,
                    self.writer.last_error,
                )
            raise

    async def handle_batch(self, messages: list[AlertJob]) -> None:
        """Persist the decisions queued together (tracks' alerts, revisions of them) in one
        transaction, then announce each. A burst (a crowd passing several cameras at once)
        then costs one commit and one trip to a worker thread, not one per alert in turn.

        A batch the store refuses for another reason than being busy or full (a bug: a
        record it rejects) is rolled back whole and written again one decision at a time, so
        only the decision at fault is lost (and crashes the actor, as one message would)."""
        try:
            await self._write(messages)
            return
        except Exception:
            if len(messages) == 1:
                raise
            log.warning("alerts: a batch of %d failed; writing them one by one", len(messages))
        fault: Exception | None = None
        for message in messages:
            try:
                await self._write([message])
            except Exception as exc:  # noqa: BLE001 - the rest are written first
                fault = fault or exc
        if fault is not None:
            raise fault

    async def _write(self, messages: list[AlertJob]) -> None:
        labels = [self._label_of(m.candidate.watchlist, m.candidate.identity) for m in messages]
        self._in_hand = len(messages)
        t_persist = time.monotonic()
        try:
            stored = await self.writer.write(self._persist_all, messages, labels)
            t_publish = time.monotonic()
            alerts = [self._dispatcher.announce(alert) for alert in stored]
        finally:
            self._in_hand = 0
        for message, alert in zip(messages, alerts, strict=True):
            self._booked(message, alert, t_persist, t_publish)

    def _persist_all(
        self, messages: list[AlertJob], labels: list[str | None]
    ) -> list[EmittedAlert]:
        """Write every decision of a batch in order, in one transaction (blocking: the
        writer's worker thread). A revision updates its track's alert, also one raised earlier
        in the same batch; a retry after a busy or full store redoes the whole batch."""
        raised: dict[tuple[str, int], str] = {}  # (camera, track) -> alert_id, this batch
        stored = []
        with self._dispatcher.transaction():
            for message, label in zip(messages, labels, strict=True):
                cand, ctx = message.candidate, message.camera
                key = (cand.camera, cand.track_id)
                alert_id = None
                if cand.kind == "alert_update":
                    alert_id = raised.get(key) or ctx.alert_ids.of(cand.track_id)
                if alert_id is None:
                    alert = self._traced(self._dispatcher.persist, cand)(cand, label)
                    raised[key] = alert.alert_id
                else:
                    alert = self._traced(self._dispatcher.revise, cand)(alert_id, cand, label)
                stored.append(alert)
        return stored

    def _booked(
        self, message: AlertJob, alert: EmittedAlert, t_persist: float, t_publish: float
    ) -> None:
        """Count a persisted and announced decision on its camera and the latency books."""
        cand, ctx = message.candidate, message.camera
        self._measured(cand, alert.revision, alert.latency_ms, t_persist, t_publish)
        if alert.revision:
            ctx.counters.revisions += 1
            return
        ctx.alert_ids.remember(cand.track_id, alert.alert_id)
        ctx.latency.record({"glass_to_alert": alert.latency_ms or 0.0})
        time_to_alert = {"time_to_alert": cand.time_to_alert_s * 1e3}
        self._latency.record(time_to_alert)
        ctx.latency.record(time_to_alert)
        ctx.counters.alerts += 1

    def _traced(self, write: Callable[..., R], cand: AlertCandidate) -> Callable[..., R]:
        """`write`, recording its span on the worker thread that runs it when tracing."""
        tracer = self.telemetry.tracer
        if tracer is None:
            return write

        def traced(*args: Any) -> R:
            start = time.monotonic()
            try:
                return write(*args)
            finally:
                tracer.alert_stage(
                    "persist",
                    cand.camera,
                    cand.frame,
                    start,
                    time.monotonic(),
                    track_id=cand.track_id,
                    revision=cand.revision,
                    last=False,
                )

        return traced

    def _measured(
        self,
        cand: AlertCandidate,
        revision: int,
        latency_ms: float | None,
        t_persist: float,
        t_publish: float,
    ) -> None:
        """Book the decision's persist and publish stages (and a new alert's glass-to-alert)
        on the Prometheus instruments and the trace, where they are on."""
        metrics, tracer = self.telemetry.metrics, self.telemetry.tracer
        if metrics is None and tracer is None:
            return
        t_done = time.monotonic()
        if metrics is not None:
            metrics.alert(
                cand.camera,
                cand.watchlist,
                persist_s=t_publish - t_persist,
                publish_s=t_done - t_publish,
                glass_to_alert_s=None if revision else (latency_ms or 0.0) / 1e3,
            )
        if tracer is not None:
            tracer.alert_stage(
                "publish",
                cand.camera,
                cand.frame,
                t_publish,
                t_done,
                track_id=cand.track_id,
                revision=cand.revision,
                last=True,
            )

    @property
    def inbox(self) -> Mailbox[AlertJob]:
        """Where cameras put their decisions."""
        assert self.mailbox is not None
        return self.mailbox

    @property
    def pending(self) -> int:
        """Decisions received and not yet persisted (queued, and the one being written)."""
        assert self.mailbox is not None
        return self.mailbox.depth + self._in_hand

    def counters(self) -> Counters:
        out = super().counters()
        out["pending"] = self.pending
        out.update(self.writer.counters())
        return out
