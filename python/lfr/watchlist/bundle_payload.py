"""Reading a bundle's payload into store records, checking the type of every field first.

Why so strict: a bundle comes from another host and may be damaged or crafted. Its sha256
proves only that it is whole, not that it is well formed (anyone can hash a list where a table
belongs), so each field is checked before use and any surprise becomes one `BundleError`
naming the field, never a traceback or a half-understood watchlist.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from lfr.errors import InputError
from lfr.store import NewTemplate
from lfr.store.watchlist_records import DEFAULT_TARGET_FPIR
from lfr.store.watchlists import IdentityUpdate


class BundleError(InputError):
    """The bundle is unreadable, malformed, altered, unsigned when a signature is required,
    or signed with another key."""


@dataclass(frozen=True)
class BundleWatchlist:
    """The watchlist's own fields as the bundle carries them."""

    name: str
    purpose: str
    authorised_by: str
    legal_basis: str
    threshold: float | None
    expires_at: float | None
    content_hash: str
    target_fpir: float = DEFAULT_TARGET_FPIR  # bundles older than calibration carry none


def parse_payload(
    payload: Any, where: str, *, progress: Callable[[int, int], None] | None = None
) -> tuple[BundleWatchlist, list[IdentityUpdate]]:
    """The watchlist and its identities' templates; BundleError naming the bad field.
    `progress(done, total)` after each identity."""
    doc = _table(payload, "payload", where)
    meta = _table(doc.get("watchlist"), "watchlist", where)
    watchlist = BundleWatchlist(
        name=_text(meta, "name", where, "watchlist"),
        purpose=_text(meta, "purpose", where, "watchlist", default=""),
        authorised_by=_text(meta, "authorised_by", where, "watchlist", default=""),
        legal_basis=_text(meta, "legal_basis", where, "watchlist", default=""),
        threshold=_number(meta, "threshold", where, "watchlist"),
        expires_at=_number(meta, "expires_at", where, "watchlist"),
        content_hash=_text(meta, "content_hash", where, "watchlist"),
        target_fpir=_or_default(_number(meta, "target_fpir", where, "watchlist")),
    )
    identities = doc.get("identities")
    if not isinstance(identities, list):
        raise BundleError(f"{where}: malformed bundle (identities is not a list)")
    updates = []
    for i, item in enumerate(identities):
        updates.append(_identity(item, i, where))
        if progress is not None:
            progress(i + 1, len(identities))
    return watchlist, updates


def _or_default(target_fpir: float | None) -> float:
    return DEFAULT_TARGET_FPIR if target_fpir is None else target_fpir


def _identity(item: Any, index: int, where: str) -> IdentityUpdate:
    context = f"identities[{index}]"
    ident = _table(item, context, where)
    templates = ident.get("templates")
    if not isinstance(templates, list):
        raise BundleError(f"{where}: malformed bundle ({context}.templates is not a list)")
    return IdentityUpdate(
        _text(ident, "id", where, context),
        [_template(t, f"{context}.templates[{j}]", where) for j, t in enumerate(templates)],
        _text(ident, "label", where, context, default=""),
        _text(ident, "category", where, context, default=""),
        _text(ident, "notes", where, context, default=""),
    )


def _template(item: Any, context: str, where: str) -> NewTemplate:
    tpl = _table(item, context, where)
    thumbnail = tpl.get("thumbnail_b64")
    return NewTemplate(
        _vector(_text(tpl, "vector_b64", where, context), f"{context}.vector_b64", where),
        _text(tpl, "model_id", where, context),
        _text(tpl, "source_sha256", where, context),
        _number(tpl, "quality", where, context),
        _b64(_text(tpl, "thumbnail_b64", where, context), f"{context}.thumbnail_b64", where)
        if thumbnail is not None
        else None,
    )


def _table(value: Any, context: str, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BundleError(f"{where}: malformed bundle ({context} is not a table)")
    return value


def _text(
    table: dict[str, Any], key: str, where: str, context: str, *, default: str | None = None
) -> str:
    value = table.get(key, default)
    try:
        if isinstance(value, str):
            value.encode("utf-8")  # a lone surrogate from JSON cannot be stored
            return value
    except UnicodeEncodeError:
        pass
    raise BundleError(f"{where}: malformed bundle ({context}.{key} is not a string)")


def _number(table: dict[str, Any], key: str, where: str, context: str) -> float | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise BundleError(f"{where}: malformed bundle ({context}.{key} is not a finite number)")
    return float(value)


def _b64(text: str, context: str, where: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise BundleError(f"{where}: malformed bundle ({context} is not base64)") from None


def _vector(text: str, context: str, where: str) -> np.ndarray:
    blob = _b64(text, context, where)
    if not blob or len(blob) % 4:
        raise BundleError(f"{where}: malformed bundle ({context} is not a float32 vector)")
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
