"""The edge's side of the link: its outbox to the hub, the hub's verdicts, its heartbeat.

Outbox: the store is the source of truth. The loop reads the alert states past the
`alerts_sent` mark (in seq order), publishes each to `lfr.alerts.<site>` with
`Nats-Msg-Id` = alert id and revision, waits for JetStream's ack, and only then moves the
mark. One at a time, so the hub receives a site's alerts in the order the site stored them.
While NATS is down nothing is lost or reordered: the alerts stay past the mark and go when
it returns; detection, the local socket and the console never wait for it.

Verdicts: the hub's verdicts for this site arrive on a durable consumer, are recorded here
with the hub's actor (audited), and acked only after that commit.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

import trio

from lfr.cluster import wire
from lfr.cluster.link import VERDICTS_STREAM, alerts_subject, verdicts_subject
from lfr.errors import LfrError
from lfr.store.cluster import HubVerdict

if TYPE_CHECKING:
    from collections.abc import Callable

    from nats.aio.msg import Msg

    from lfr.cluster.session import Session
    from lfr.pipeline.engine import Engine

log = logging.getLogger("lfr.cluster")

OUTBOX_BATCH = 64
OUTBOX_IDLE_S = 0.1


class EdgeLink:
    def __init__(
        self, session: Session, engine: Engine, camera_states: Callable[[], list[dict]]
    ) -> None:
        self.s = session
        self._engine = engine
        self._camera_states = camera_states
        self.wake = trio.Event()  # set when an alert was just persisted

    def notify(self) -> None:
        """Called on the trio thread after an alert is persisted: publish it now."""
        self.wake.set()

    # --- outbox ----------------------------------------------------------------------------

    async def publish_outbox(self) -> bool:
        batch = await self.s.db(self.s.store.cluster.outbox, OUTBOX_BATCH)
        if not batch:
            self.wake = trio.Event()
            with trio.move_on_after(OUTBOX_IDLE_S):
                await self.wake.wait()
            return True  # look again at once: woken, or the short wait is the idle time
        subject = alerts_subject(self.s.site)
        for alert in batch:
            label = self._engine.watchlists.label_of(alert.watchlist, alert.identity)
            data = wire.encode_alert(alert, label)
            headers = {
                wire.MSG_ID_HEADER: wire.alert_msg_id(alert),
                **wire.sign(self.s.signing_key, data),
            }
            ack = await self.s.nats(self.s.link.publish, subject, data, headers)
            await self.s.db(self.s.store.cluster.mark_sent, alert.seq)
            self.s.counts["duplicates_acked" if ack.duplicate else "published"] += 1
        return True

    # --- verdicts from the hub -------------------------------------------------------------

    async def apply_verdicts(self) -> bool:
        site = self.s.site
        msgs: list[Msg] = await self.s.nats(
            self.s.link.fetch, VERDICTS_STREAM, verdicts_subject(site), f"edge-{site}-verdicts", 32
        )
        for msg in msgs:
            try:
                hub, verdict = wire.decode_verdict(
                    msg.data, site=site, key=self.s.signing_key, headers=msg.headers
                )
                applied = await self.s.db(self._apply, hub, verdict)
            except LfrError as exc:  # a malformed verdict, or one the store refuses
                self.s.counts["verdicts_refused"] += 1
                log.error("cluster: verdict refused: %s", exc)
                await self.s.nats(self.s.link.term, msg)
                continue
            self.s.counts["verdicts_applied" if applied else "verdicts_skipped"] += 1
            await self.s.nats(self.s.link.ack, msg)
        return bool(msgs)

    def _apply(self, hub: str, verdict: HubVerdict) -> bool:
        return self.s.store.cluster.apply_verdict(verdict, actor=f"{hub}:{verdict.actor}")

    # --- heartbeat -------------------------------------------------------------------------

    def heartbeat_body(self) -> bytes:
        return wire.encode(
            "heartbeat",
            {
                "site": self.s.site,
                "ts": time.time(),
                "cameras": self._camera_states(),
                "watchlists": {
                    w["name"]: w["content_hash"] for w in self._engine.watchlists.describe()
                },
                "outbox": self.s.store.cluster.pending(),
            },
        )

    async def heartbeat(self) -> bool:
        body = await self.s.db(self.heartbeat_body)
        await self.s.nats(self.s.link.put_heartbeat, self.s.site, body)
        self.s.counts["heartbeats"] += 1
        return False


def parse_heartbeat(data: bytes) -> dict:
    """A site's heartbeat as the hub reports it (checked; a bad one is a `ClusterMessageError`)."""
    msg = wire.decode(data, "heartbeat")
    cameras = msg.get("cameras")
    watchlists = msg.get("watchlists")
    if not isinstance(cameras, list) or not isinstance(watchlists, dict):
        raise wire.ClusterMessageError("heartbeat: cameras or watchlists malformed")
    return {
        "site": wire.field(msg, "site", str),
        "ts": float(wire.field(msg, "ts", (int, float))),
        "age_s": round(time.time() - float(msg["ts"]), 1),
        "cameras": cameras,
        "watchlists": watchlists,
        "outbox": wire.field(msg, "outbox", int),
    }
