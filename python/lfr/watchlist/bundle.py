"""Watchlist bundles: moving a watchlist from the enrolment desk to the daemon host.

A bundle is JSON (never pickle: loading it must not run code) with templates as base64
float32. The payload is hashed, and HMAC-SHA256-signed when a key file is given, so the
receiving host can tell a damaged or altered bundle; the watchlist content hash inside is
recomputed on import, so what is imported is exactly what was exported. The import is one
transaction: the watchlist appears whole or not at all.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

from lfr.errors import InputError
from lfr.store import NewTemplate, Store
from lfr.store.audit import canonical_json
from lfr.store.content import content_hash, template_to_blob
from lfr.store.watchlist_records import DEFAULT_TARGET_FPIR
from lfr.store.watchlists import IdentityUpdate

FORMAT = "lfr-watchlist-bundle"
VERSION = 1
MAX_BUNDLE_BYTES = 1 << 30
MIN_KEY_BYTES = 16


class BundleError(InputError):
    """The bundle is unreadable, altered, unsigned when a signature is required, or signed
    with another key."""


def read_key(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise BundleError(f"cannot read key file {path}: {exc.strerror}") from exc
    if len(key) < MIN_KEY_BYTES:
        raise BundleError(
            f"key file {path} holds {len(key)} bytes; use at least {MIN_KEY_BYTES} random bytes"
        )
    return key


def export_bundle(
    store: Store, name: str, path: Path, *, actor: str, key: bytes | None = None
) -> str:
    """Write the bundle (atomically: temp file + rename); returns the content hash."""
    info = store.watchlists.get(name)
    identities = store.watchlists.identities(name)
    templates = store.watchlists.templates(name)
    by_identity: dict[str, list[dict[str, Any]]] = {i.identity_id: [] for i in identities}
    for t in templates:
        by_identity[t.identity_id].append(
            {
                "model_id": t.model_id,
                "source_sha256": t.source_sha256,
                "quality": t.quality,
                "vector_b64": base64.b64encode(template_to_blob(t.vector)).decode("ascii"),
                "thumbnail_b64": (
                    base64.b64encode(t.thumbnail_jpeg).decode("ascii") if t.thumbnail_jpeg else None
                ),
            }
        )
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "watchlist": {
            "name": info.name,
            "purpose": info.purpose,
            "authorised_by": info.authorised_by,
            "legal_basis": info.legal_basis,
            "threshold": info.threshold,
            "target_fpir": info.target_fpir,
            "expires_at": info.expires_at,
            "created_at": info.created_at,
            "content_hash": info.content_hash,
        },
        "identities": [
            {
                "id": i.identity_id,
                "label": i.label,
                "category": i.category,
                "notes": i.notes,
                "templates": by_identity[i.identity_id],
            }
            for i in identities
        ],
    }
    text = canonical_json(payload)
    envelope = {
        "format": FORMAT,
        "payload": text,
        "sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "hmac_sha256": _mac(key, text) if key else None,
    }
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(envelope, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    store.audit.append(
        "watchlist.export",
        actor,
        {
            "watchlist": name,
            "content_hash": info.content_hash,
            "file": str(path),
            "signed": key is not None,
            "identities": len(identities),
            "templates": len(templates),
        },
    )
    return info.content_hash


def read_bundle(path: Path, *, key: bytes | None = None) -> dict[str, Any]:
    """Parse and check a bundle; returns the payload. Raises BundleError on any doubt."""
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            raise BundleError(f"{path} is larger than {MAX_BUNDLE_BYTES} bytes")
        envelope = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"{path} is not a readable watchlist bundle: {exc}") from exc
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise BundleError(f"{path} is not an lfr watchlist bundle")
    text = envelope.get("payload")
    if not isinstance(text, str) or not hmac.compare_digest(
        hashlib.sha256(text.encode("utf-8")).hexdigest(), str(envelope.get("sha256"))
    ):
        raise BundleError(
            f"{path}: the bundle's hash does not match its contents (damaged or altered)"
        )
    signature = envelope.get("hmac_sha256")
    if key is None and signature:
        raise BundleError(f"{path} is signed: pass --key-file to verify it before importing")
    if key is not None:
        if not signature:
            raise BundleError(f"{path} is not signed, but a key was given")
        if not hmac.compare_digest(_mac(key, text), str(signature)):
            raise BundleError(
                f"{path}: the signature does not match this key (altered, or "
                "signed with another key)"
            )
    payload = json.loads(text)
    if payload.get("version") != VERSION:
        raise BundleError(f"{path}: bundle version {payload.get('version')} is not supported")
    return dict(payload)


def import_bundle(
    store: Store, path: Path, *, actor: str, key: bytes | None = None, name: str | None = None
) -> str:
    """Create the watchlist from a bundle in one transaction; returns the content hash."""
    payload = read_bundle(path, key=key)
    try:
        meta = payload["watchlist"]
        updates = [
            IdentityUpdate(
                str(i["id"]),
                [
                    NewTemplate(
                        _vector(t["vector_b64"]),
                        str(t["model_id"]),
                        str(t["source_sha256"]),
                        t.get("quality"),
                        _b64(t["thumbnail_b64"]) if t.get("thumbnail_b64") else None,
                    )
                    for t in i["templates"]
                ],
                str(i.get("label", "")),
                str(i.get("category", "")),
                str(i.get("notes", "")),
            )
            for i in payload["identities"]
        ]
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise BundleError(f"{path}: malformed bundle ({exc!r})") from exc
    expected = content_hash(
        (
            u.identity_id,
            u.label or "",
            u.category or "",
            [(template_to_blob(t.vector), t.model_id) for t in u.templates],
        )
        for u in updates
    )
    if expected != meta.get("content_hash"):
        raise BundleError(f"{path}: contents do not match the watchlist hash recorded in it")
    target = name or str(meta["name"])
    with store.db.transaction():
        store.watchlists.create(
            target,
            actor=actor,
            purpose=str(meta.get("purpose", "")),
            authorised_by=str(meta.get("authorised_by", "")),
            legal_basis=str(meta.get("legal_basis", "")),
            expires_at=meta.get("expires_at"),
            threshold=meta.get("threshold"),
            # Bundles written before watchlists had a target carry none: the default then.
            target_fpir=meta.get("target_fpir", DEFAULT_TARGET_FPIR),
        )
        new_hash = store.watchlists.add_many(
            target,
            updates,
            actor=actor,
            action="watchlist.import",
            details={
                "file": str(path),
                "signed": key is not None,
                "source_name": meta["name"],
                "bundle_hash": meta["content_hash"],
            },
        )
    if new_hash != expected:  # cannot happen unless the hashing code disagrees with itself
        raise BundleError(f"imported watchlist hash {new_hash} != bundle hash {expected}")
    return new_hash


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _b64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def _vector(text: str) -> Any:
    import numpy as np

    blob = _b64(text)
    if not blob or len(blob) % 4:
        raise ValueError("template is not a float32 vector")
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
