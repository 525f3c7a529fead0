"""Watchlists, their identities and templates.

Every change is one transaction that also recomputes the content hash and appends an audit
record carrying the old and new hash, so the audit trail alone tells which watchlist content
was in force at any moment.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

from lfr.store.audit import AuditLog
from lfr.store.content import blob_to_template, content_hash
from lfr.store.db import Database
from lfr.store.errors import (
    IdentityNotFound,
    StoreError,
    WatchlistExists,
    WatchlistExpired,
    WatchlistNotFound,
)
from lfr.store.watchlist_records import (
    DEFAULT_TARGET_FPIR,
    WATCHLIST_COLUMNS,
    IdentityInfo,
    IdentityUpdate,
    NewTemplate,
    StoredTemplate,
    WatchlistInfo,
    check_dims,
    check_identity_id,
    check_name,
    check_target_fpir,
    check_threshold,
    validated_blob,
)

__all__ = [
    "IdentityInfo",
    "IdentityUpdate",
    "NewTemplate",
    "StoredTemplate",
    "WatchlistInfo",
    "Watchlists",
]


class Watchlists:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    # --- reads ----------------------------------------------------------------------------
    def snapshot(self) -> AbstractContextManager[sqlite3.Connection]:
        """Group several reads into one consistent view."""
        return self._db.read()

    def get(self, name: str) -> WatchlistInfo:
        with self._db.read() as conn:
            return self._info(conn, self._id(conn, name))

    def all(self) -> list[WatchlistInfo]:
        with self._db.read() as conn:
            ids = [r[0] for r in conn.execute("SELECT id FROM watchlists ORDER BY name")]
            return [self._info(conn, wid) for wid in ids]

    def identities(self, name: str) -> list[IdentityInfo]:
        with self._db.read() as conn:
            wid = self._id(conn, name)
            rows = conn.execute(
                "SELECT i.identity_id, i.label, i.category, i.notes, i.created_at, "
                "count(t.id), group_concat(DISTINCT t.model_id), group_concat(t.source_sha256) "
                "FROM identities i LEFT JOIN templates t ON t.identity_pk = i.id "
                "WHERE i.watchlist_id = ? GROUP BY i.id ORDER BY i.identity_id",
                (wid,),
            )
            return [
                IdentityInfo(r[0], r[1], r[2], r[3], r[4], r[5], _split(r[6]), _split(r[7]))
                for r in rows
            ]

    def templates(self, name: str, *, model_id: str | None = None) -> list[StoredTemplate]:
        sql = (
            "SELECT i.identity_id, t.vector, t.model_id, t.source_sha256, t.quality, "
            "t.thumbnail_jpeg FROM templates t JOIN identities i ON t.identity_pk = i.id "
            "WHERE i.watchlist_id = ?"
        )
        with self._db.read() as conn:
            params: list[Any] = [self._id(conn, name)]
            if model_id is not None:
                sql += " AND t.model_id = ?"
                params.append(model_id)
            rows = conn.execute(sql + " ORDER BY i.identity_id, t.id", params).fetchall()
        return [StoredTemplate(r[0], blob_to_template(r[1]), r[2], r[3], r[4], r[5]) for r in rows]

    def recompute_hash(self, name: str) -> str:
        """The hash of what is stored now; differs from `get(name).content_hash` only if the
        database was edited behind lfr's back."""
        with self._db.read() as conn:
            return _compute_hash(conn, self._id(conn, name))

    # --- writes ---------------------------------------------------------------------------
    def create(
        self,
        name: str,
        *,
        actor: str,
        purpose: str = "",
        authorised_by: str = "",
        legal_basis: str = "",
        expires_at: float | None = None,
        threshold: float | None = None,
        target_fpir: float = DEFAULT_TARGET_FPIR,
    ) -> WatchlistInfo:
        check_name(name)
        check_threshold(threshold)
        check_target_fpir(target_fpir)
        now = time.time()
        if expires_at is not None and expires_at <= now:
            raise StoreError(f"watchlist {name!r}: the expiry date is in the past")
        empty = content_hash([])
        with self._db.transaction() as conn:
            try:
                conn.execute(
                    f"INSERT INTO watchlists ({WATCHLIST_COLUMNS}) VALUES "
                    "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        purpose,
                        authorised_by,
                        legal_basis,
                        threshold,
                        now,
                        now,
                        expires_at,
                        empty,
                        float(target_fpir),
                    ),
                )
            except sqlite3.IntegrityError:
                raise WatchlistExists(f"watchlist {name!r} exists already") from None
            self._audit.append(
                "watchlist.create",
                actor,
                {
                    "watchlist": name,
                    "purpose": purpose,
                    "authorised_by": authorised_by,
                    "legal_basis": legal_basis,
                    "expires_at": expires_at,
                    "threshold": threshold,
                    "target_fpir": float(target_fpir),
                    "content_hash": empty,
                },
            )
            return self._info(conn, self._id(conn, name))

    def update(self, name: str, *, actor: str, **changes: Any) -> WatchlistInfo:
        """Change purpose, authorised_by, legal_basis, threshold, target_fpir or expires_at
        (audited with the old values). A threshold of None returns the watchlist to its
        calibrated threshold."""
        allowed = {
            "purpose",
            "authorised_by",
            "legal_basis",
            "threshold",
            "target_fpir",
            "expires_at",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise StoreError(f"cannot change {sorted(unknown)} of a watchlist")
        if "threshold" in changes:
            check_threshold(changes["threshold"])
        if "target_fpir" in changes:
            check_target_fpir(changes["target_fpir"])
        with self._db.transaction() as conn:
            wid = self._id(conn, name)
            old = self._info(conn, wid)
            for column, value in changes.items():
                conn.execute(f"UPDATE watchlists SET {column} = ? WHERE id = ?", (value, wid))
            conn.execute("UPDATE watchlists SET updated_at = ? WHERE id = ?", (time.time(), wid))
            self._audit.append(
                "watchlist.update",
                actor,
                {
                    "watchlist": name,
                    "changes": changes,
                    "previous": {k: getattr(old, k) for k in changes},
                },
            )
            return self._info(conn, wid)

    def add(
        self,
        name: str,
        identity_id: str,
        templates: Sequence[NewTemplate],
        *,
        actor: str,
        label: str | None = None,
        category: str | None = None,
        notes: str | None = None,
    ) -> str:
        """Add templates to an identity (created if new); returns the new content hash."""
        update = IdentityUpdate(identity_id, tuple(templates), label, category, notes)
        return self.add_many(name, [update], actor=actor)

    def add_many(
        self,
        name: str,
        updates: Sequence[IdentityUpdate],
        *,
        actor: str,
        action: str = "watchlist.add",
        details: dict[str, Any] | None = None,
    ) -> str:
        """Add several identities' templates in one transaction with one rehash and one audit
        record (an import of thousands stays linear). Returns the new content hash."""
        for u in updates:
            check_identity_id(u.identity_id)
        blobs = [[validated_blob(t) for t in u.templates] for u in updates]
        flat = [t for u in updates for t in u.templates]
        with self._db.transaction() as conn:
            wid = self._id(conn, name)
            if self._info(conn, wid).expired():
                raise WatchlistExpired(f"watchlist {name!r} has expired: nothing may be added")
            old_hash = _stored_hash(conn, wid)
            check_dims(conn, wid, flat, [b for bs in blobs for b in bs])
            now = time.time()
            for u, bs in zip(updates, blobs, strict=False):
                pk = self._identity_pk(conn, wid, u, now)
                conn.executemany(
                    "INSERT INTO templates (identity_pk, model_id, vector, source_sha256, "
                    "quality, thumbnail_jpeg, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [
                        (pk, t.model_id, blob, t.source_sha256, t.quality, t.thumbnail_jpeg, now)
                        for t, blob in zip(u.templates, bs, strict=False)
                    ],
                )
            new_hash = self._rehash(conn, wid)
            record: dict[str, Any] = {
                "watchlist": name,
                "identities": [u.identity_id for u in updates],
                "templates_added": len(flat),
                "model_ids": sorted({t.model_id for t in flat}),
                "old_hash": old_hash,
                "new_hash": new_hash,
                **(details or {}),
            }
            if len(updates) == 1:
                record["identity"] = updates[0].identity_id
                record["source_sha256"] = [t.source_sha256 for t in flat]
            self._audit.append(action, actor, record)
            return new_hash

    @staticmethod
    def _identity_pk(conn: sqlite3.Connection, wid: int, u: IdentityUpdate, now: float) -> int:
        row = conn.execute(
            "SELECT id FROM identities WHERE watchlist_id = ? AND identity_id = ?",
            (wid, u.identity_id),
        ).fetchone()
        if row is None:
            return int(
                conn.execute(
                    "INSERT INTO identities (watchlist_id, identity_id, label, category, notes, "
                    "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (wid, u.identity_id, u.label or "", u.category or "", u.notes or "", now),
                ).lastrowid
                or 0
            )
        for column, value in (("label", u.label), ("category", u.category), ("notes", u.notes)):
            if value is not None:
                conn.execute(f"UPDATE identities SET {column} = ? WHERE id = ?", (value, row[0]))
        return int(row[0])

    def remove_identity(self, name: str, identity_id: str, *, actor: str) -> int:
        """Remove an identity and all its templates; returns the templates removed."""
        with self._db.transaction() as conn:
            wid = self._id(conn, name)
            old_hash = _stored_hash(conn, wid)
            row = conn.execute(
                "SELECT id FROM identities WHERE watchlist_id = ? AND identity_id = ?",
                (wid, identity_id),
            ).fetchone()
            if row is None:
                raise IdentityNotFound(f"watchlist {name!r} has no identity {identity_id!r}")
            count = conn.execute(
                "SELECT count(*) FROM templates WHERE identity_pk = ?", (row[0],)
            ).fetchone()[0]
            conn.execute("DELETE FROM identities WHERE id = ?", (row[0],))
            self._db.deleted_biometrics()
            new_hash = self._rehash(conn, wid)
            self._audit.append(
                "watchlist.remove",
                actor,
                {
                    "watchlist": name,
                    "identity": identity_id,
                    "templates_removed": count,
                    "old_hash": old_hash,
                    "new_hash": new_hash,
                },
            )
            return int(count)

    def delete(self, name: str, *, actor: str, reason: str = "delete") -> dict[str, int]:
        """Purge the watchlist with every identity, template and thumbnail of it."""
        with self._db.transaction() as conn:
            wid = self._id(conn, name)
            info = self._info(conn, wid)
            conn.execute("DELETE FROM watchlists WHERE id = ?", (wid,))
            self._db.deleted_biometrics()
            counts = {"identities": info.identities, "templates": info.templates}
            action = "watchlist.expire" if reason == "expire" else "watchlist.delete"
            self._audit.append(
                action,
                actor,
                {
                    "watchlist": name,
                    **counts,
                    "content_hash": info.content_hash,
                    "expires_at": info.expires_at,
                },
            )
            return counts

    def purge_expired(self, *, actor: str, now: float | None = None) -> list[str]:
        """Delete every watchlist whose expiry has passed (each audited as an expiry)."""
        now = time.time() if now is None else now
        with self._db.transaction():
            purged = [w.name for w in self.all() if w.expired(now)]
            for name in purged:
                self.delete(name, actor=actor, reason="expire")
        return purged

    # --- helpers --------------------------------------------------------------------------
    def _rehash(self, conn: sqlite3.Connection, wid: int) -> str:
        digest = _compute_hash(conn, wid)
        conn.execute(
            "UPDATE watchlists SET content_hash = ?, updated_at = ? WHERE id = ?",
            (digest, time.time(), wid),
        )
        return digest

    @staticmethod
    def _id(conn: sqlite3.Connection, name: str) -> int:
        row = conn.execute("SELECT id FROM watchlists WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise WatchlistNotFound(f"no watchlist named {name!r}")
        return int(row[0])

    @staticmethod
    def _info(conn: sqlite3.Connection, wid: int) -> WatchlistInfo:
        row = conn.execute(
            f"SELECT {WATCHLIST_COLUMNS} FROM watchlists WHERE id = ?", (wid,)
        ).fetchone()
        n_ids = conn.execute(
            "SELECT count(*) FROM identities WHERE watchlist_id = ?", (wid,)
        ).fetchone()[0]
        n_tpl, models = conn.execute(
            "SELECT count(t.id), group_concat(DISTINCT t.model_id) FROM templates t JOIN "
            "identities i ON t.identity_pk = i.id WHERE i.watchlist_id = ?",
            (wid,),
        ).fetchone()
        fields = dict(zip(WATCHLIST_COLUMNS.replace(" ", "").split(","), row, strict=False))
        return WatchlistInfo(**fields, identities=n_ids, templates=n_tpl, model_ids=_split(models))


def _compute_hash(conn: sqlite3.Connection, wid: int) -> str:
    identities: dict[int, tuple[str, str, str, list[tuple[bytes, str]]]] = {}
    for pk, iid, label, category in conn.execute(
        "SELECT id, identity_id, label, category FROM identities WHERE watchlist_id = ?", (wid,)
    ):
        identities[pk] = (iid, label, category, [])
    for pk, blob, model_id in conn.execute(
        "SELECT t.identity_pk, t.vector, t.model_id FROM templates t JOIN identities i ON "
        "t.identity_pk = i.id WHERE i.watchlist_id = ?",
        (wid,),
    ):
        identities[pk][3].append((bytes(blob), model_id))
    return content_hash(identities.values())


def _stored_hash(conn: sqlite3.Connection, wid: int) -> str:
    return str(
        conn.execute("SELECT content_hash FROM watchlists WHERE id = ?", (wid,)).fetchone()[0]
    )


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(sorted(set(text.split(",")))) if text else ()
