"""Watchlist bundles: moving a watchlist from the enrolment desk to the daemon host.

A bundle is JSON (never pickle: loading it must not run code) with templates as base64
float32. The payload is hashed, and HMAC-SHA256-signed when a key is given, so the receiving
host can tell a damaged or altered bundle; the watchlist content hash inside is recomputed on
import, so what is imported is exactly what was exported. The import is one transaction: the
watchlist appears whole or not at all.

A host may configure its bundle key once (`[watchlists] bundle_key_file`, or
`$LFR_BUNDLE_KEY_FILE`): then every export is signed and every import demands a signature,
with no flag to fall back to an unsigned bundle. The bundle key is never the audit key: one
leaked key must not open both doors.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lfr.store import Store
from lfr.store.audit import canonical_json
from lfr.store.content import content_hash, template_to_blob
from lfr.watchlist.bundle_payload import BundleError, parse_payload

__all__ = [
    "BundleError",
    "bundle_key",
    "export_bundle",
    "import_bundle",
    "import_payload",
    "open_bundle",
    "read_bundle",
    "read_key",
    "seal_bundle",
]

FORMAT = "lfr-watchlist-bundle"
VERSION = 1
MAX_BUNDLE_BYTES = 1 << 30
MIN_KEY_BYTES = 16
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")


def bundle_key(
    explicit: Path | None, configured: Path | None, audit_key_file: Path | None
) -> bytes | None:
    """The key to sign or check with: `--key-file`, else the configured one, else none.
    Refuses the audit key (same file or same bytes)."""
    path = explicit or configured
    if path is None:
        return None
    key = read_key(path)
    if audit_key_file is not None and audit_key_file.is_file():
        same_file = path.resolve() == audit_key_file.resolve()
        if same_file or hmac.compare_digest(key, audit_key_file.read_bytes().strip()):
            raise BundleError(
                f"{path} is the audit key: bundles need a key of their own "
                "([watchlists] bundle_key_file or LFR_BUNDLE_KEY_FILE)"
            )
    return key


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
    text, details = seal_bundle(store, name, key)
    _write_new(path, text)
    store.audit.append("watchlist.export", actor, {**details, "file": str(path)})
    return str(details["content_hash"])


def seal_bundle(store: Store, name: str, key: bytes | None) -> tuple[str, dict[str, Any]]:
    """The bundle of watchlist `name` as text (hashed, and signed with `key`), and what its
    export audit record says about it (hash, counts, signed)."""
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
    return json.dumps(envelope), {
        "watchlist": name,
        "content_hash": info.content_hash,
        "signed": key is not None,
        "identities": len(identities),
        "templates": len(templates),
    }


def read_bundle(path: Path, *, key: bytes | None = None) -> dict[str, Any]:
    """Parse and check a bundle; returns the payload. Raises BundleError on any doubt."""
    try:
        if path.stat().st_size > MAX_BUNDLE_BYTES:
            raise BundleError(f"{path} is larger than {MAX_BUNDLE_BYTES} bytes")
        raw = path.read_bytes()
    except OSError as exc:
        raise BundleError(f"{path} is not a readable watchlist bundle: {exc}") from exc
    return open_bundle(raw, str(path), key=key)


def open_bundle(raw: bytes, path: str, *, key: bytes | None = None) -> dict[str, Any]:
    """Check a bundle's bytes (from a file, or from another site) as `read_bundle` does;
    `path` names where they came from in every error."""
    if len(raw) > MAX_BUNDLE_BYTES:
        raise BundleError(f"{path} is larger than {MAX_BUNDLE_BYTES} bytes")
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise BundleError(f"{path} is not a readable watchlist bundle: {exc}") from exc
    if not isinstance(envelope, dict) or envelope.get("format") != FORMAT:
        raise BundleError(f"{path} is not an lfr watchlist bundle")
    text, digest = envelope.get("payload"), envelope.get("sha256")
    if not isinstance(text, str) or not _is_digest(digest):
        raise BundleError(f"{path}: malformed bundle (payload or sha256 missing or malformed)")
    if not hmac.compare_digest(hashlib.sha256(text.encode("utf-8")).hexdigest(), str(digest)):
        raise BundleError(
            f"{path}: the bundle's hash does not match its contents (damaged or altered)"
        )
    signature = envelope.get("hmac_sha256")
    if signature is not None and not _is_digest(signature):
        raise BundleError(f"{path}: malformed bundle (hmac_sha256 is not a hex digest)")
    if key is None and signature:
        raise BundleError(f"{path} is signed: pass --key-file to verify it before importing")
    if key is not None:
        if not signature:
            raise BundleError(
                f"{path} is not signed, but a bundle key is given or configured "
                "([watchlists] bundle_key_file, LFR_BUNDLE_KEY_FILE): unsigned bundles are "
                "refused; export it again with the key"
            )
        if not hmac.compare_digest(_mac(key, text), str(signature)):
            raise BundleError(
                f"{path}: the signature does not match this key (altered, or "
                "signed with another key)"
            )
    try:
        payload = json.loads(text)
    except ValueError as exc:
        raise BundleError(f"{path}: malformed bundle (payload is not JSON: {exc})") from None
    if not isinstance(payload, dict):
        raise BundleError(f"{path}: malformed bundle (payload is not a table)")
    if payload.get("version") != VERSION:
        raise BundleError(f"{path}: bundle version {payload.get('version')!r} is not supported")
    return payload


def import_bundle(
    store: Store,
    path: Path,
    *,
    actor: str,
    key: bytes | None = None,
    name: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Create the watchlist from a bundle in one transaction; returns the content hash.
    `progress(done, total)` after each identity read (the write is one transaction)."""
    return import_payload(
        store,
        read_bundle(path, key=key),
        str(path),
        actor=actor,
        signed=key is not None,
        name=name,
        progress=progress,
    )


def import_payload(
    store: Store,
    payload: dict[str, Any],
    path: str,
    *,
    actor: str,
    signed: bool,
    name: str | None = None,
    replace: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> str:
    """Create the watchlist from a checked payload (`open_bundle`) in one transaction;
    `replace` deletes a watchlist of that name first, in the same transaction (audited),
    so a site never runs half of the old and half of the new list."""
    meta, updates = parse_payload(payload, path, progress=progress)
    try:
        expected = content_hash(
            (
                u.identity_id,
                u.label or "",
                u.category or "",
                [(template_to_blob(t.vector), t.model_id) for t in u.templates],
            )
            for u in updates
        )
    except ValueError as exc:  # a template of NaNs or zeros
        raise BundleError(f"{path}: malformed bundle ({exc})") from None
    if expected != meta.content_hash:
        raise BundleError(f"{path}: contents do not match the watchlist hash recorded in it")
    target = name or meta.name
    with store.db.transaction():
        if replace and target in {w.name for w in store.watchlists.all()}:
            store.watchlists.delete(target, actor=actor, reason="replace")
        store.watchlists.create(
            target,
            actor=actor,
            purpose=meta.purpose,
            authorised_by=meta.authorised_by,
            legal_basis=meta.legal_basis,
            expires_at=meta.expires_at,
            threshold=meta.threshold,
            target_fpir=meta.target_fpir,
        )
        new_hash = store.watchlists.add_many(
            target,
            updates,
            actor=actor,
            action="watchlist.import",
            details={
                "file": path,
                "signed": signed,
                "source_name": meta.name,
                "bundle_hash": meta.content_hash,
            },
        )
    if new_hash != expected:  # cannot happen unless the hashing code disagrees with itself
        raise BundleError(f"imported watchlist hash {new_hash} != bundle hash {expected}")
    return new_hash


def _mac(key: bytes, text: str) -> str:
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _is_digest(value: Any) -> bool:
    """64 lower-case hex characters: anything else (non-ASCII included) is not compared."""
    return isinstance(value, str) and _HEX_DIGEST.fullmatch(value) is not None


def _write_new(path: Path, text: str) -> None:
    """Write beside `path` under a fresh random name, created exclusively and never through a
    symlink (a planted link cannot redirect the templates), then rename it into place."""
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    except OSError as exc:
        raise BundleError(f"cannot write bundle {path}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise BundleError(f"cannot write bundle {path}: {exc.strerror}") from exc
    finally:
        tmp.unlink(missing_ok=True)
