"""The NATS side of the cluster: one connection, the streams and buckets, and the calls the
edge and the hub make. Every coroutine here runs on the bridge's asyncio loop
(`AsyncioBridge.call`); nothing here touches the store or trio.

Topology (one JetStream account; `docs/scale-out.md` grows it):
- stream `LFR_ALERTS`, subjects `lfr.alerts.<site>`: every site's alert states, de-duplicated
  by `Nats-Msg-Id` (alert id and revision) within the duplicate window, kept as long as alert
  retention (`max_age`), so no copy of an alert outlives the store's. One durable pull
  consumer, `hub-alerts`, acked by the hub after its commit.
- stream `LFR_VERDICTS`, subjects `lfr.verdicts.<site>`: verdicts recorded at the hub, one
  durable consumer per site (`edge-<site>-verdicts`).
- stream `LFR_WATCHLISTS`, subjects `lfr.watchlists.<site>`: load and withdraw commands, one
  durable consumer per site, so a site that was away is told when it comes back.
- object store bucket `lfrwl_<hash of the name>` per published watchlist: its sealed bundle.
  A withdrawal deletes the whole bucket (its stream and files), not a marker inside it.
- key-value bucket `lfr_sites`: each site's last heartbeat.
"""

from __future__ import annotations

import contextlib
import hashlib
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import nats
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    DeliverPolicy,
    KeyValueConfig,
    ObjectMeta,
    StorageType,
    StreamConfig,
)
from nats.js.errors import BadRequestError, NotFoundError

if TYPE_CHECKING:
    from nats.aio.client import Client
    from nats.aio.msg import Msg
    from nats.js.client import JetStreamContext

    from lfr.config.cluster import ClusterConfig

ALERTS_STREAM = "LFR_ALERTS"
VERDICTS_STREAM = "LFR_VERDICTS"
WATCHLISTS_STREAM = "LFR_WATCHLISTS"
SITES_BUCKET = "lfr_sites"
HUB_CONSUMER = "hub-alerts"
BUNDLE_OBJECT = "bundle"
DUPLICATE_WINDOW_S = 120.0


def alerts_subject(site: str) -> str:
    return f"lfr.alerts.{site}"


def verdicts_subject(site: str) -> str:
    return f"lfr.verdicts.{site}"


def watchlists_subject(site: str) -> str:
    return f"lfr.watchlists.{site}"


def bundle_bucket(name: str) -> str:
    """A bucket name for any watchlist name (bucket names allow only [A-Za-z0-9_-])."""
    return "lfrwl_" + hashlib.sha256(name.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Published:
    stream: str
    seq: int
    duplicate: bool


class NatsLink:
    """One connection to NATS. nats-py reconnects by itself once connected; `connect` is
    retried by the caller while the server cannot be reached."""

    def __init__(self, cfg: ClusterConfig, *, max_age_s: float) -> None:
        self._cfg = cfg
        self.max_age_s = max_age_s
        self._nc: Client | None = None
        self._js: JetStreamContext | None = None
        self._subs: dict[str, Any] = {}

    @property
    def connected(self) -> bool:
        return self._nc is not None and self._nc.is_connected

    @property
    def js(self) -> JetStreamContext:
        if self._js is None:
            raise ConnectionError("not connected to NATS")
        return self._js

    async def connect(self) -> None:
        cfg = self._cfg
        options: dict[str, Any] = {
            "servers": [cfg.url],
            "name": f"lfr-{cfg.role}-{cfg.site_name}",
            "connect_timeout": cfg.connect_timeout_s,
            "allow_reconnect": True,
            "max_reconnect_attempts": -1,
            "reconnect_time_wait": 0.5,
            "ping_interval": 5,
            "max_outstanding_pings": 2,
        }
        if cfg.token_file is not None:
            options["token"] = cfg.token_file.read_text().strip()
        if cfg.creds_file is not None:
            options["user_credentials"] = str(cfg.creds_file)
        if cfg.tls_ca_file is not None or cfg.tls_cert_file is not None:
            context = ssl.create_default_context(
                cafile=str(cfg.tls_ca_file) if cfg.tls_ca_file else None
            )
            if cfg.tls_cert_file is not None and cfg.tls_key_file is not None:
                context.load_cert_chain(str(cfg.tls_cert_file), str(cfg.tls_key_file))
            options["tls"] = context

        async def quiet(_exc: Exception) -> None:
            return None  # the actor counts and logs failures where it sees them

        await self.close()  # a half-made connection from a failed attempt
        nc = await nats.connect(error_cb=quiet, **options)
        self._nc, self._js = nc, nc.jetstream()
        await self._ensure_streams()

    async def close(self) -> None:
        nc, self._nc, self._js = self._nc, None, None
        self._subs.clear()
        if nc is not None:
            await nc.close()

    async def _ensure_streams(self) -> None:
        age = self.max_age_s
        for name, subjects in (
            (ALERTS_STREAM, ["lfr.alerts.*"]),
            (VERDICTS_STREAM, ["lfr.verdicts.*"]),
            (WATCHLISTS_STREAM, ["lfr.watchlists.*"]),
        ):
            config = StreamConfig(
                name=name,
                subjects=subjects,
                storage=StorageType.FILE,
                max_age=age,
                duplicate_window=min(DUPLICATE_WINDOW_S, age),
            )
            try:
                await self.js.add_stream(config)
            except BadRequestError:  # exists with other limits: this side's config wins
                await self.js.update_stream(config)
        # A bucket made with another site's limits serves heartbeats all the same.
        with contextlib.suppress(BadRequestError):
            await self.js.create_key_value(
                KeyValueConfig(bucket=SITES_BUCKET, history=1, ttl=age, storage=StorageType.FILE)
            )

    # --- publishing --------------------------------------------------------------------------

    async def publish(self, subject: str, data: bytes, headers: dict[str, str]) -> Published:
        ack = await self.js.publish(subject, data, headers=headers, timeout=2.0)
        return Published(ack.stream, ack.seq, bool(ack.duplicate))

    # --- durable pull consumers ----------------------------------------------------------------

    async def fetch(self, stream: str, subject: str, durable: str, batch: int) -> list[Msg]:
        """Up to `batch` messages for `durable` (created on first use, explicit acks); waits
        up to a second for the first."""
        sub = self._subs.get(durable)
        if sub is None:
            config = ConsumerConfig(
                durable_name=durable,
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
                ack_wait=30.0,
                max_ack_pending=1024,
                filter_subject=subject,
            )
            sub = await self.js.pull_subscribe(subject, durable, stream=stream, config=config)
            self._subs[durable] = sub
        try:
            return list(await sub.fetch(batch, timeout=1.0))
        except nats.errors.TimeoutError:
            return []

    @staticmethod
    async def ack(msg: Msg) -> None:
        await msg.ack()

    @staticmethod
    async def term(msg: Msg) -> None:
        """Refuse a message for good: never redelivered."""
        await msg.term()

    # --- watchlist bundles -----------------------------------------------------------------------

    async def put_bundle(self, name: str, data: bytes, description: str) -> str:
        """Store a bundle as the only object of its own bucket; returns the bucket."""
        bucket = bundle_bucket(name)
        store = await self.js.create_object_store(bucket, storage=StorageType.FILE)
        await store.put(
            BUNDLE_OBJECT, data, meta=ObjectMeta(name=BUNDLE_OBJECT, description=description)
        )
        return bucket

    async def get_bundle(self, bucket: str) -> bytes:
        store = await self.js.object_store(bucket)
        result = await store.get(BUNDLE_OBJECT)
        return bytes(result.data or b"")

    async def bundle_descriptions(self) -> dict[str, str]:
        """bucket -> the description stored with its bundle, for every published bundle."""
        out: dict[str, str] = {}
        for info in await self.js.streams_info():
            name = info.config.name or ""
            if not name.startswith("OBJ_lfrwl_"):
                continue
            bucket = name.removeprefix("OBJ_")
            try:
                meta = await (await self.js.object_store(bucket)).get_info(BUNDLE_OBJECT)
            except NotFoundError:
                continue
            out[bucket] = meta.description or ""
        return out

    async def delete_bundle(self, name: str) -> bool:
        """Delete the watchlist's whole bucket: its stream and files go, bytes included."""
        try:
            return bool(await self.js.delete_object_store(bundle_bucket(name)))
        except NotFoundError:
            return False

    # --- heartbeats ------------------------------------------------------------------------------

    async def put_heartbeat(self, site: str, data: bytes) -> None:
        kv = await self.js.key_value(SITES_BUCKET)
        await kv.put(site, data)

    async def heartbeats(self, sites: list[str]) -> dict[str, bytes]:
        kv = await self.js.key_value(SITES_BUCKET)
        out: dict[str, bytes] = {}
        for site in sites:
            try:
                entry = await kv.get(site)
            except NotFoundError:
                continue
            if entry.value is not None:
                out[site] = entry.value
        return out
