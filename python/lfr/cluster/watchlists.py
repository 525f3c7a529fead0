"""One sealed watchlist pushed to every site, and taken back.

Publish (at the hub, from its CLI through its socket): the watchlist is sealed as a bundle
(the existing format, signed with the bundle key both ends hold), put as the only object of
its own object-store bucket, and each chosen site is sent a `load` command on its durable
consumer. The site fetches the bundle, checks the signature, the payload hash and the
watchlist content hash before anything changes, replaces its copy in one transaction, reloads
it in place (cameras switch between two frames), audits the load with the hash, and reports
the hash it runs in its heartbeat. A bundle that fails a check is refused and audited; the
site keeps what it ran.

Withdraw: the bucket is deleted (its stream and files, so no template bytes stay in
JetStream), and every site is sent `withdraw` on its durable consumer: a reachable site purges
the watchlist at once (templates scrubbed from its database and WAL, audited), a site that was
away is told when it reconnects. Expiry needs no link: each site stops matching at
`expires_at` on its own (frame time) and purges it; the hub deletes an expired bundle from
the object store and withdraws it everywhere, in case a site never saw the load.
"""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING, Any

from nats.js.errors import NotFoundError

from lfr.cluster import wire
from lfr.cluster.link import WATCHLISTS_STREAM, watchlists_subject
from lfr.errors import InputError, LfrError
from lfr.store.db import ScrubIncomplete
from lfr.watchlist.bundle import import_payload, open_bundle, seal_bundle

if TYPE_CHECKING:
    from nats.aio.msg import Msg

    from lfr.cluster.session import Session
    from lfr.pipeline.watchlists import WatchlistSet

log = logging.getLogger("lfr.cluster")


class ClusterCommandError(InputError):
    """A watchlist cannot be published or withdrawn as asked."""


class HubWatchlists:
    def __init__(self, session: Session) -> None:
        self.s = session

    async def publish(self, name: str, sites: list[str], *, actor: str) -> dict[str, Any]:
        unknown = sorted(set(sites) - set(self.s.cfg.sites))
        if not sites or unknown:
            raise ClusterCommandError(
                f"sites {unknown or sites} are not in [cluster] sites ({', '.join(self.s.cfg.sites)})"
            )
        if self.s.bundle_key is None:
            raise ClusterCommandError(
                "publishing needs a bundle key ([watchlists] bundle_key_file) so sites can "
                "check the bundle's signature"
            )
        text, details = await self.s.db(seal_bundle, self.s.store, name, self.s.bundle_key)
        info = await self.s.db(self.s.store.watchlists.get, name)
        description = json.dumps({"name": name, "expires_at": info.expires_at})
        bucket = await self.s.nats(self.s.link.put_bundle, name, text.encode(), description)
        command = {"op": "load", "name": name, "bucket": bucket, "hash": details["content_hash"]}
        await self._tell(sites, command)
        record = {**details, "sites": sorted(sites), "bucket": bucket}
        await self.s.db(self.s.store.audit.append, "cluster.watchlist.publish", actor, record)
        return record

    async def withdraw(self, name: str, *, actor: str) -> dict[str, Any]:
        deleted = await self.s.nats(self.s.link.delete_bundle, name)
        sites = list(self.s.cfg.sites)
        await self._tell(sites, {"op": "withdraw", "name": name})
        record = {"watchlist": name, "bundle_deleted": deleted, "sites": sites}
        await self.s.db(self.s.store.audit.append, "cluster.watchlist.withdraw", actor, record)
        return record

    async def _tell(self, sites: list[str], command: dict[str, Any]) -> None:
        data = wire.encode("watchlist", {**command, "issued_at": time.time()})
        headers = wire.sign(self.s.signing_key, data)
        for site in sites:
            await self.s.nats(self.s.link.publish, watchlists_subject(site), data, headers)

    async def expire(self) -> bool:
        """Withdraw every published bundle whose watchlist's authorisation has ended."""
        now = time.time()
        for description in (await self.s.nats(self.s.link.bundle_descriptions)).values():
            try:
                meta = json.loads(description)
                name, expires_at = str(meta["name"]), meta.get("expires_at")
            except (ValueError, KeyError, TypeError):
                continue
            if expires_at is not None and float(expires_at) <= now:
                log.info("cluster: watchlist %s expired; withdrawing its bundle", name)
                await self.withdraw(name, actor="daemon")
        return False


class SiteWatchlists:
    """The edge's consumer of load and withdraw commands."""

    def __init__(self, session: Session, running: WatchlistSet) -> None:
        self.s = session
        self._running = running

    async def follow(self) -> bool:
        site = self.s.site
        msgs: list[Msg] = await self.s.nats(
            self.s.link.fetch,
            WATCHLISTS_STREAM,
            watchlists_subject(site),
            f"edge-{site}-watchlists",
            8,
        )
        for msg in msgs:
            await self._handle(msg)
            await self.s.nats(self.s.link.ack, msg)
        return bool(msgs)

    async def _handle(self, msg: Msg) -> None:
        try:
            command = wire.decode(
                msg.data, "watchlist", key=self.s.signing_key, headers=msg.headers
            )
            op, name = wire.field(command, "op", str), wire.field(command, "name", str)
        except wire.ClusterMessageError as exc:
            self.s.counts["commands_refused"] += 1
            log.error("cluster: watchlist command refused: %s", exc)
            return
        if op == "withdraw":
            await self.s.db(self._withdraw, name)
        elif op == "load":
            bucket = wire.field(command, "bucket", str)
            try:
                data = await self.s.nats(self.s.link.get_bundle, bucket)
            except NotFoundError:  # withdrawn before this site got to it
                await self.s.db(self._refuse, name, f"bundle {bucket} is no longer published")
                return
            await self.s.db(self._load, name, data, wire.field(command, "hash", str))

    def _load(self, name: str, data: bytes, announced: str) -> None:
        store, where = self.s.store, f"bundle {name!r} from the hub"
        try:
            payload = open_bundle(data, where, key=self.s.bundle_key)
            if self.s.bundle_key is None:
                raise ClusterCommandError("no bundle key here: unsigned bundles are refused")
            content = payload.get("watchlist", {}).get("content_hash")
            if content != announced:
                raise ClusterCommandError(
                    f"{where}: hash {content} is not the announced {announced}"
                )
            new_hash = import_payload(
                store, payload, where, actor="cluster", signed=True, name=name, replace=True
            )
        except ScrubIncomplete as exc:  # committed; the old templates are scrubbed later
            log.warning("cluster: watchlist %s replaced; %s", name, exc)
            new_hash = announced
        except LfrError as exc:
            self._refuse(name, str(exc))
            return
        outcome = self._running.load(name)
        store.audit.append(
            "cluster.watchlist.load",
            "cluster",
            {"watchlist": name, "content_hash": new_hash, "running": outcome.loaded},
        )
        self.s.counts["watchlists_loaded"] += 1
        log.info("cluster: watchlist %s loaded from the hub, hash %s", name, new_hash[:12])

    def _refuse(self, name: str, why: str) -> None:
        self.s.counts["watchlists_refused"] += 1
        log.error("cluster: watchlist %s refused: %s", name, why)
        self.s.store.audit.append(
            "cluster.watchlist.refused", "cluster", {"watchlist": name, "reason": why[:500]}
        )

    def _withdraw(self, name: str) -> None:
        if name in {w.name for w in self.s.store.watchlists.all()}:
            try:
                self.s.store.watchlists.delete(name, actor="cluster", reason="withdraw")
            except ScrubIncomplete as exc:  # deleted; the WAL is scrubbed at the next run
                log.warning("cluster: watchlist %s withdrawn; %s", name, exc)
        self._running.load(name)  # not in the store any more: dropped from the running set
        self.s.store.audit.append("cluster.watchlist.withdraw", "cluster", {"watchlist": name})
        self.s.counts["watchlists_withdrawn"] += 1
        log.info("cluster: watchlist %s withdrawn by the hub", name)
