"""The hub's side of the link: every site's alerts in, verdicts back out, sites' heartbeats.

Ingest: one durable pull consumer on `LFR_ALERTS`. Each message is checked (schema, known
site, subject, signature when signing is on, every field's type); one that fails is refused
for good (`term`, never redelivered), counted and logged, and the hub carries on. A valid one
is stored (idempotent on alert id and revision), announced to the hub's socket subscribers and
console in the hub's own seq order, and acked only after the commit: a hub killed in between
receives it again, and the store absorbs the repeat. A restarted hub resumes where its durable
consumer stands.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lfr.cluster import wire
from lfr.cluster.edge import parse_heartbeat
from lfr.cluster.link import ALERTS_STREAM, HUB_CONSUMER, verdicts_subject
from lfr.pipeline.alerts import EmittedAlert
from lfr.store.errors import StoreError

if TYPE_CHECKING:
    from nats.aio.msg import Msg

    from lfr.cluster.session import Session
    from lfr.store.alerts import Alert

log = logging.getLogger("lfr.cluster")

INGEST_BATCH = 64


class HubLink:
    def __init__(self, session: Session, announce: Callable[[EmittedAlert], object]) -> None:
        self.s = session
        self._announce = announce
        self.sites: dict[str, dict[str, Any]] = {}
        self.site_alerts: Counter[str] = Counter()  # alerts ingested, by the site that raised them
        self.last_edge_seq: dict[str, int] = {}  # site -> the edge seq of its latest alert in

    # --- alerts in -------------------------------------------------------------------------

    async def ingest(self) -> bool:
        msgs: list[Msg] = await self.s.nats(
            self.s.link.fetch, ALERTS_STREAM, "lfr.alerts.*", HUB_CONSUMER, INGEST_BATCH
        )
        for msg in msgs:
            alert = self._check(msg)
            if alert is None:
                await self.s.nats(self.s.link.term, msg)
                continue
            try:
                stored = await self.s.db(self.s.store.cluster.ingest, alert)
            except StoreError as exc:  # e.g. an alert id another site already holds
                self._refuse(msg, exc)
                await self.s.nats(self.s.link.term, msg)
                continue
            if stored is None:
                self.s.counts["duplicates"] += 1
            else:
                self.s.counts["ingested"] += 1
                self.site_alerts[alert.site or ""] += 1
                self.last_edge_seq[alert.site or ""] = alert.seq
                self._announce(EmittedAlert.from_stored(stored, None))
            await self.s.nats(self.s.link.ack, msg)
        return bool(msgs)

    def _check(self, msg: Msg) -> Alert | None:
        try:
            return wire.decode_alert(
                msg.data,
                subject=msg.subject,
                sites=self.s.cfg.sites,
                key=self.s.signing_key,
                headers=msg.headers,
            )
        except wire.ClusterMessageError as exc:
            self._refuse(msg, exc)
            return None

    def _refuse(self, msg: Msg, exc: Exception) -> None:
        self.s.counts["rejected"] += 1
        self.s.last_error = f"rejected on {msg.subject[:80]}: {exc}"
        log.error("cluster: message on %s rejected: %s", msg.subject[:80], exc)

    # --- verdicts out ----------------------------------------------------------------------

    async def send_verdicts(self) -> bool:
        ledger = self.s.store.cluster
        verdicts = await self.s.db(ledger.verdicts_to_send)
        store_id = self.s.store.store_id
        for v in verdicts:
            data = wire.encode_verdict(v, self.s.site)
            headers = {
                wire.MSG_ID_HEADER: f"verdict:{store_id}:{v.audit_seq}",
                **wire.sign(self.s.signing_key, data),
            }
            await self.s.nats(self.s.link.publish, verdicts_subject(v.site), data, headers)
            await self.s.db(ledger.mark_verdicts_sent, v.audit_seq)
            self.s.counts["verdicts_sent"] += 1
        return bool(verdicts)

    # --- sites -----------------------------------------------------------------------------

    async def read_heartbeats(self) -> bool:
        raw: dict[str, bytes] = await self.s.nats(self.s.link.heartbeats, list(self.s.cfg.sites))
        sites: dict[str, dict[str, Any]] = {}
        for site, data in raw.items():
            try:
                sites[site] = parse_heartbeat(data)
            except wire.ClusterMessageError as exc:
                log.warning("cluster: heartbeat of %s unreadable: %s", site, exc)
        self.sites = sites
        return False

    def describe_sites(self) -> list[dict[str, Any]]:
        """Every known site: its last heartbeat (cameras, watchlist hashes), or never seen."""
        now = time.time()
        out = []
        for site in self.s.cfg.sites:
            beat = self.sites.get(site)
            if beat is None:
                out.append({"site": site, "seen": False})
                continue
            alive = now - beat["ts"] < 3 * self.s.cfg.heartbeat_s + 1
            out.append({**beat, "seen": True, "alive": alive})
        return out
