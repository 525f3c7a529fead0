"""Which key seals this store's trail, and the two moments that trail is re-sealed.

The store records the fingerprint of its sealing key (`meta.audit_key`); a process holding
another key refuses to write rather than start a trail nobody can verify. A trail written
before the key existed (marked by schema migration 4) is checked with its old plain hashes,
re-sealed and followed by an `audit.seal` record that keeps the old head and whatever the old
check found, so the migration is itself on the record. A key rotation first proves the trail
under the old key, appends `audit.rotate_key` (sealed with the old key: its last act), then
re-seals everything under the new one.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from lfr.store.audit_chain import (
    append_record,
    canonical_json,
    keyed,
    legacy_hash,
    read_trail,
    reseal,
    walk,
)
from lfr.store.audit_key import AuditKey, AuditKeyError, load_audit_key
from lfr.store.errors import StoreError

SYSTEM_ACTOR = "lfr"
SCHEME = "hmac-sha256"


class AuditChainBroken(StoreError):
    """The trail does not verify, so it must not be re-sealed: that would seal the damage."""


@dataclass(frozen=True)
class Rotation:
    previous_key: str
    key: str
    previous_head: str
    head_seq: int
    head_hash: str


class Sealer:
    """Holds the key file's path and the key once read; answers "which key seals this
    store" inside a write transaction, sealing a legacy trail on the way."""

    def __init__(self, key_file: Path) -> None:
        self.key_file = key_file
        self._key: AuditKey | None = None

    def load(self, expect: str | None) -> AuditKey:
        """The key from the file (created only for a store with no key recorded yet)."""
        if self._key is None or (expect is not None and self._key.fingerprint != expect):
            self._key = load_audit_key(self.key_file, expect=expect, create=expect is None)
        return self._key

    def key_for(self, conn: sqlite3.Connection) -> AuditKey:
        recorded = get_meta(conn, "audit_key")
        key = self.load(recorded)
        if recorded is None:
            if get_meta(conn, "audit_seal") == "sha256":
                _seal_legacy(conn, key)
            elif conn.execute("SELECT 1 FROM audit LIMIT 1").fetchone():
                raise AuditKeyError(
                    "the audit trail holds records but no record of the key that sealed "
                    "them (the store's metadata was edited): run `lfr audit verify` and "
                    "restore the database from a backup"
                )
            else:
                set_meta(conn, "audit_key", key.fingerprint)
        elif recorded != key.fingerprint:
            raise AuditKeyError(
                f"this store's audit trail is sealed with key {recorded}, but {self.key_file} "
                f"holds key {key.fingerprint}: point [audit] key_file (or LFR_AUDIT_KEY_FILE) "
                "at the key this store was sealed with"
            )
        return key

    def rotate(self, conn: sqlite3.Connection, new: AuditKey, actor: str) -> Rotation:
        """Prove, record and re-seal (inside the caller's transaction). The caller moves the
        new key file into place after the commit."""
        old = self.key_for(conn)
        rows, head = read_trail(conn)
        found = walk(rows, head, keyed(old.secret))
        if found.problems:
            raise AuditChainBroken(
                f"the audit trail does not verify ({found.problems[0]}); not rotating the "
                "key, which would seal the damage: investigate with `lfr audit verify`"
            )
        details = {
            "previous_key": old.fingerprint,
            "key": new.fingerprint,
            "previous_head": found.head_hash,
            "records": found.records,
            "scheme": SCHEME,
        }
        append_record(conn, old.secret, "audit.rotate_key", actor, canonical_json(details), None)
        seq, head_hash = reseal(conn, new.secret)
        set_meta(conn, "audit_key", new.fingerprint)
        self._key = new
        return Rotation(old.fingerprint, new.fingerprint, found.head_hash, seq, head_hash)


def _seal_legacy(conn: sqlite3.Connection, key: AuditKey) -> None:
    rows, head = read_trail(conn)
    found = walk(rows, head, legacy_hash)
    reseal(conn, key.secret)
    details = {
        "from": "sha256",
        "to": SCHEME,
        "key": key.fingerprint,
        "records": found.records,
        "previous_head": found.head_hash,
        "problems": found.problems,
    }
    append_record(conn, key.secret, "audit.seal", SYSTEM_ACTOR, canonical_json(details), None)
    set_meta(conn, "audit_key", key.fingerprint)
    conn.execute("DELETE FROM meta WHERE key = 'audit_seal'")


def get_meta(conn: sqlite3.Connection, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def set_meta(conn: sqlite3.Connection, key: str, value: str) -> None:
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?, ?) "
        "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        (key, value),
    )
