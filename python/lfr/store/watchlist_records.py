"""The records the watchlist repository takes and returns, and the validation of names and
templates: plain values, so the CLI, the bundle code and the daemon share them without the
database."""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from lfr.calibration import Calibration, effective_threshold, load_reference
from lfr.store.content import template_to_blob
from lfr.store.errors import ModelMismatch, StoreError

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_IDENTITY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}")
_SHA256 = re.compile(r"[0-9a-f]{64}")
WATCHLIST_COLUMNS = (
    "name, purpose, authorised_by, legal_basis, threshold, created_at, "
    "updated_at, expires_at, content_hash, target_fpir"
)
# One false alert per 10,000 passers-by: the default target of a new watchlist.
DEFAULT_TARGET_FPIR = 1e-4


def check_name(name: str) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise StoreError(
            f"invalid watchlist name {name!r}: use 1-64 letters, digits, '.', "
            "'_' or '-', starting with a letter or digit"
        )
    return name


def check_identity_id(identity_id: str) -> str:
    if not isinstance(identity_id, str) or not _IDENTITY.fullmatch(identity_id):
        raise StoreError(
            f"invalid identity id {identity_id!r}: use 1-128 letters, digits, "
            "'.', '_', ':', '@' or '-', starting with a letter or digit"
        )
    return identity_id


@dataclass(frozen=True)
class NewTemplate:
    """A template ready to store: the embedding and where it came from."""

    vector: np.ndarray
    model_id: str
    source_sha256: str
    quality: float | None = None
    thumbnail_jpeg: bytes | None = None


@dataclass(frozen=True)
class IdentityUpdate:
    """Templates for one identity, with label/category/notes to set (None keeps them)."""

    identity_id: str
    templates: Sequence[NewTemplate]
    label: str | None = None
    category: str | None = None
    notes: str | None = None


@dataclass(frozen=True)
class WatchlistInfo:
    name: str
    purpose: str
    authorised_by: str
    legal_basis: str
    threshold: float | None
    created_at: float
    updated_at: float
    expires_at: float | None
    content_hash: str
    target_fpir: float = DEFAULT_TARGET_FPIR
    identities: int = 0
    templates: int = 0
    model_ids: tuple[str, ...] = ()

    def expired(self, now: float | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or time.time())

    def calibration(self, size: int | None = None, model_id: str | None = None) -> Calibration:
        """The effective threshold at `size` templates (default: now) for `model_id`'s
        templates (default: its own model's, else the one the reference was made for). A
        configuration override is not known here; CalibrationError when none can be had."""
        if model_id is None:
            model_id = self.model_ids[0] if self.model_ids else load_reference().model_id
        return effective_threshold(
            model_id,
            self.templates if size is None else size,
            self.target_fpir,
            explicit=self.threshold,
            name=self.name,
        )


@dataclass(frozen=True)
class IdentityInfo:
    identity_id: str
    label: str
    category: str
    notes: str
    created_at: float
    templates: int
    model_ids: tuple[str, ...] = ()
    source_sha256: tuple[str, ...] = ()


@dataclass(frozen=True)
class StoredTemplate:
    identity_id: str
    vector: np.ndarray
    model_id: str
    source_sha256: str
    quality: float | None
    thumbnail_jpeg: bytes | None = field(default=None, repr=False)


def validated_blob(t: NewTemplate) -> bytes:
    if not t.model_id:
        raise StoreError("a template needs the model id that made it")
    if not _SHA256.fullmatch(t.source_sha256 or ""):
        raise StoreError("a template needs its source image's sha256 (64 lower-case hex)")
    try:
        return template_to_blob(t.vector)
    except ValueError as exc:
        raise StoreError(str(exc)) from exc


def check_dims(
    conn: sqlite3.Connection, wid: int, templates: Sequence[NewTemplate], blobs: Sequence[bytes]
) -> None:
    """One watchlist, one embedding space: refuse a second model or another dimension."""
    for model_id, size in conn.execute(
        "SELECT DISTINCT t.model_id, length(t.vector) FROM templates t JOIN identities i ON "
        "t.identity_pk = i.id WHERE i.watchlist_id = ?",
        (wid,),
    ):
        for t, blob in zip(templates, blobs, strict=False):
            if t.model_id != model_id:
                raise ModelMismatch(
                    f"this watchlist holds templates of model {model_id}, not "
                    f"{t.model_id}: re-enrol everyone with one model"
                )
            if len(blob) != size:
                raise StoreError(
                    f"template of {len(blob) // 4} values; the watchlist holds {size // 4}"
                )


def check_threshold(threshold: float | None) -> None:
    if threshold is not None and not (-1.0 < float(threshold) < 1.0):
        raise StoreError(f"threshold {threshold} is not a cosine score in (-1, 1)")


def check_target_fpir(target: float) -> None:
    """A rate per passer-by: above 0 (no threshold gives none) and below 1."""
    if not isinstance(target, int | float) or not (0.0 < float(target) < 1.0):
        raise StoreError(
            f"target false-alert rate {target!r} must be a fraction of passers-by in (0, 1), "
            "e.g. 1e-4 for one in 10,000"
        )
