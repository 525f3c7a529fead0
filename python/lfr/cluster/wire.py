"""What travels between sites over JetStream, and the checks every message passes on arrival.

Each message is one JSON object with `schema` ("MAJOR.MINOR") and `kind`. A reader accepts its
own major version with any minor (fields added later are ignored) and refuses any other major
with `SchemaVersionError`, naming both, so a hub never half-reads an edge from another release.
An alert carries its site, the one alert serializer's shape (`lfr.pipeline.alerts.alert_wire`)
and what the hub's store needs beyond it (the watchlist hash, the run, the crop as base64).
With a signing key, the body's HMAC-SHA256 rides in the `Lfr-Signature` header.

Everything read from the network is hostile until checked: a wrong type, a missing field, an
unknown site or a subject that names another site is one `ClusterMessageError` saying which.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

from lfr.errors import InputError
from lfr.pipeline.alerts import alert_wire
from lfr.store.alerts import MAX_CROP_BYTES, STATUSES, Alert
from lfr.store.cluster import HubVerdict

SCHEMA = "1.0"
MAJOR = 1
SIGNATURE_HEADER = "Lfr-Signature"
MSG_ID_HEADER = "Nats-Msg-Id"


class ClusterMessageError(InputError):
    """A message from another site that is not what it claims to be; it is refused whole."""


class SchemaVersionError(ClusterMessageError):
    """A peer speaks another major version of the cluster schema."""


def alert_msg_id(alert: Alert) -> str:
    """JetStream's de-duplication key: one per alert state (alert id and revision)."""
    return f"{alert.alert_id}:{alert.revision}"


def sign(key: bytes | None, data: bytes) -> dict[str, str]:
    """The headers that carry the body's signature (none without a key)."""
    if key is None:
        return {}
    return {SIGNATURE_HEADER: hmac.new(key, data, hashlib.sha256).hexdigest()}


def _check_signature(key: bytes | None, data: bytes, headers: Mapping[str, str] | None) -> None:
    if key is None:
        return
    given = (headers or {}).get(SIGNATURE_HEADER)
    if not isinstance(given, str):
        raise ClusterMessageError("unsigned message (signing is on: Lfr-Signature is required)")
    if not hmac.compare_digest(hmac.new(key, data, hashlib.sha256).hexdigest(), given):
        raise ClusterMessageError("bad signature (altered, or signed with another key)")


def encode(kind: str, body: Mapping[str, Any]) -> bytes:
    return json.dumps({"schema": SCHEMA, "kind": kind, **body}, separators=(",", ":")).encode()


def decode(
    data: bytes, kind: str, *, key: bytes | None = None, headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Parse one message of `kind`: signature, JSON, schema version, kind; else refused."""
    _check_signature(key, data, headers)
    try:
        message = json.loads(data)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ClusterMessageError(f"not JSON: {exc}") from None
    if not isinstance(message, dict):
        raise ClusterMessageError("not a JSON object")
    schema = message.get("schema")
    major = schema.split(".", 1)[0] if isinstance(schema, str) else None
    if major is None or not major.isdigit():
        raise ClusterMessageError(f"no schema version (got {schema!r})")
    if int(major) != MAJOR:
        raise SchemaVersionError(
            f"schema {schema} is not supported: this lfr speaks {SCHEMA} (major {MAJOR}); "
            "upgrade the older side"
        )
    if message.get("kind") != kind:
        raise ClusterMessageError(f"expected a {kind!r} message, got {message.get('kind')!r}")
    return message


def field(msg: Mapping[str, Any], name: str, kind: type | tuple[type, ...], *, null: bool = False):
    """One typed field of a message, or `ClusterMessageError` naming it."""
    value = msg.get(name)
    if value is None and null:
        return None
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise ClusterMessageError(f"{name}: expected {kind}, got a boolean")
    if not isinstance(value, kind):
        raise ClusterMessageError(f"{name}: expected {kind}, got {type(value).__name__}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ClusterMessageError(f"{name}: not a finite number")
    if isinstance(value, str) and not value and not null:
        raise ClusterMessageError(f"{name}: must not be empty")
    return value


# --- alerts: edge -> hub -----------------------------------------------------------------


def encode_alert(alert: Alert, label: str | None) -> bytes:
    crop = alert.crop_jpeg
    return encode(
        "alert",
        {
            "site": alert.site,
            "alert": alert_wire(alert, label),
            "watchlist_hash": alert.watchlist_hash,
            "run_id": alert.run_id,
            "recorded_at": alert.recorded_at,
            "crop_jpeg_b64": base64.b64encode(crop).decode("ascii") if crop else None,
        },
    )


def decode_alert(
    data: bytes,
    *,
    subject: str,
    sites: Sequence[str],
    key: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> Alert:
    """A site's alert as the hub stores it; refused unless the site is known and the subject
    (`lfr.alerts.<site>`) names that same site."""
    msg = decode(data, "alert", key=key, headers=headers)
    site = field(msg, "site", str)
    if site not in sites:
        raise ClusterMessageError(f"unknown site {site[:64]!r} (not in [cluster] sites)")
    if subject.rsplit(".", 1)[-1] != site:
        raise ClusterMessageError(f"site {site!r} published on another site's subject {subject}")
    a = msg.get("alert")
    if not isinstance(a, dict):
        raise ClusterMessageError("alert: expected an object")
    num = (int, float)
    status = field(a, "status", str)
    if status not in STATUSES:
        raise ClusterMessageError(f"status: unknown {status[:32]!r}")
    revision = field(a, "revision", int)
    if revision < 0:
        raise ClusterMessageError("revision: must not be negative")
    return Alert(
        alert_id=field(a, "alert_id", str)[:128],
        seq=field(a, "seq", int),
        camera=field(a, "camera", str),
        ts=float(field(a, "ts", num)),
        watchlist=field(a, "watchlist", str),
        watchlist_hash=field(msg, "watchlist_hash", str),
        identity=field(a, "identity", str),
        score=float(field(a, "score", num)),
        threshold=float(field(a, "threshold", num)),
        track_id=field(a, "track_id", int),
        latency_ms=_opt_float(a, "latency_ms"),
        run_id=field(msg, "run_id", str, null=True),
        status=status,
        adjudicated_by=field(a, "adjudicated_by", str, null=True),
        adjudicated_at=_opt_float(a, "adjudicated_at"),
        note=field(a, "note", str, null=True),
        recorded_at=float(field(msg, "recorded_at", num)),
        revision=revision,
        previous_identity=field(a, "previous_identity", str, null=True),
        revised_at=_opt_float(a, "revised_at"),
        site=site,
        crop_jpeg=_crop(msg),
    )


def _opt_float(msg: Mapping[str, Any], name: str) -> float | None:
    value = field(msg, name, (int, float), null=True)
    return None if value is None else float(value)


def _crop(msg: Mapping[str, Any]) -> bytes | None:
    text = field(msg, "crop_jpeg_b64", str, null=True)
    if text is None:
        return None
    try:
        crop = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise ClusterMessageError("crop_jpeg_b64: not base64") from None
    if len(crop) > MAX_CROP_BYTES or not crop.startswith(b"\xff\xd8"):
        raise ClusterMessageError("crop_jpeg_b64: not a JPEG of at most 512 KiB")
    return crop


# --- verdicts: hub -> edge -----------------------------------------------------------------


def encode_verdict(v: HubVerdict, hub: str) -> bytes:
    return encode(
        "verdict",
        {
            "hub": hub,
            "audit_seq": v.audit_seq,
            "site": v.site,
            "alert_id": v.alert_id,
            "verdict": v.verdict,
            "actor": v.actor,
            "on_behalf_of": v.on_behalf_of,
            "note": v.note,
        },
    )


def decode_verdict(
    data: bytes, *, site: str, key: bytes | None = None, headers: Mapping[str, str] | None = None
) -> tuple[str, HubVerdict]:
    """(the hub's name, its verdict) for this site; refused if meant for another."""
    msg = decode(data, "verdict", key=key, headers=headers)
    if field(msg, "site", str) != site:
        raise ClusterMessageError(f"a verdict for site {msg['site'][:64]!r} reached {site!r}")
    return field(msg, "hub", str), HubVerdict(
        audit_seq=field(msg, "audit_seq", int),
        site=site,
        alert_id=field(msg, "alert_id", str),
        verdict=field(msg, "verdict", str),
        actor=field(msg, "actor", str),
        on_behalf_of=field(msg, "on_behalf_of", str, null=True),
        note=field(msg, "note", str, null=True),
    )
