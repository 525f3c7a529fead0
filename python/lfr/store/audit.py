"""The audit trail: append-only records, each sealed with HMAC-SHA256 under the audit key and
carrying the seal of the one before it.

Why a keyed chain: an oversight body must be able to tell that nobody quietly edited, removed
or reordered the record of who put whom on a watchlist and what happened to each alert. The
chain makes any change break every link after it; the key (kept outside the data directory,
`lfr.store.audit_key`) stops someone who can write the database from sealing the edited
records again; the head row catches records cut from the end; exported heads
(`lfr.store.audit_head`), kept where the database's writers cannot reach, catch a trail
rewritten whole by someone who also took the key. Triggers refuse UPDATE and DELETE, which
stops accidents; the seals are what detect intent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lfr.store.audit_chain import (
    ROW_COLUMNS,
    append_record,
    canonical_json,
    keyed,
    read_trail,
    walk,
)
from lfr.store.audit_key import AuditKeyError, pending_path, write_new_key
from lfr.store.audit_seal import Rotation, Sealer, get_meta
from lfr.store.db import Database

__all__ = ["AuditLog", "AuditRecord", "AuditVerdict", "ExpectedHead", "canonical_json"]

SUPERSEDING_ACTIONS = ("audit.seal", "audit.rotate_key")


@dataclass(frozen=True)
class AuditRecord:
    seq: int
    ts: float
    action: str
    actor: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
    on_behalf_of: str | None = None


@dataclass(frozen=True)
class ExpectedHead:
    """A head exported earlier (`audit.head.log`, or copied by hand): it must still be in the
    trail. `key` is the fingerprint it was sealed under, when known."""

    hash: str
    key: str | None = None


@dataclass(frozen=True)
class AuditVerdict:
    """The result of `verify`: `ok` only if every record, the head and every expected head
    check out. `notes` say what each expected head matched."""

    records: int
    head_seq: int
    head_hash: str
    key_fingerprint: str | None
    key_file: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditLog:
    def __init__(self, db: Database, key_file: Path) -> None:
        self._db = db
        self._sealer = Sealer(key_file)

    @property
    def key_file(self) -> Path:
        return self._sealer.key_file

    def append(
        self,
        action: str,
        actor: str,
        details: Mapping[str, Any],
        *,
        on_behalf_of: str | None = None,
    ) -> None:
        """Append one record, in the caller's transaction if one is open (so a change and its
        audit record commit together), else in its own. `actor` is who did it (the account
        or connection); `on_behalf_of` whom they say they acted for (an officer's name)."""
        if not action or not actor:
            raise ValueError("an audit record needs an action and an actor")
        text = canonical_json(dict(details))
        with self._db.transaction() as conn:
            key = self._sealer.key_for(conn)
            append_record(conn, key.secret, action, actor, text, on_behalf_of or None)

    def head(self) -> tuple[int, str]:
        """The last record's position and seal (0 and the genesis hash when empty)."""
        with self._db.read() as conn:
            row = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        return (int(row[0]), str(row[1])) if row else (0, "0" * 64)

    def fingerprint(self) -> str:
        """The sealing key's fingerprint (sealing a new or legacy store on the way)."""
        with self._db.transaction() as conn:
            return self._sealer.key_for(conn).fingerprint

    def records(
        self, *, action_prefix: str | None = None, since_seq: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        sql = f"SELECT {ROW_COLUMNS} FROM audit WHERE seq > ?"
        params: list[Any] = [since_seq]
        if action_prefix:
            sql += " AND action LIKE ? ESCAPE '\\'"
            escaped = action_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            params.append(escaped + "%")
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        with self._db.read() as conn:
            rows = conn.execute(sql, params).fetchall()
        return [AuditRecord(r[0], r[1], r[2], r[3], _loads(r[4]), r[5], r[6], r[7]) for r in rows]

    def verify(self, expect_heads: Sequence[ExpectedHead] = ()) -> AuditVerdict:
        """Walk the trail from the first record under the key; name every record that fails,
        and every expected head that is no longer in it."""
        try:
            with self._db.transaction() as conn:  # short: seals a legacy trail if need be
                key = self._sealer.key_for(conn)
        except AuditKeyError as exc:
            with self._db.read() as conn:
                count = conn.execute("SELECT count(*) FROM audit").fetchone()[0]
                recorded = get_meta(conn, "audit_key")
            return AuditVerdict(int(count), 0, "", recorded, self.key_file, [str(exc)])
        with self._db.read() as conn:  # a snapshot: writers carry on meanwhile
            rows, head = read_trail(conn)
        found = walk(rows, head, keyed(key.secret))
        verdict = AuditVerdict(
            found.records,
            found.head_seq,
            found.head_hash,
            key.fingerprint,
            self.key_file,
            found.problems,
        )
        superseded = {
            str(r.details.get("previous_head")): r
            for r in self.records(action_prefix="audit.")
            if r.action in SUPERSEDING_ACTIONS
        }
        for expected in expect_heads:
            _check_head(verdict, expected, found.seals, superseded)
        return verdict

    def rotate_key(self, actor: str) -> Rotation:
        """Seal the trail under a fresh key, written first beside the current one and moved
        into place once the database is committed (a crash in between is finished by the
        next load, which finds the pending key matching the store)."""
        self.fingerprint()  # finishes a committed rotation whose key was not moved yet
        pending = pending_path(self.key_file)
        if pending.exists():
            pending.unlink()  # a rotation that never committed: its key sealed nothing
        new = write_new_key(pending)
        try:
            with self._db.transaction() as conn:
                rotation = self._sealer.rotate(conn, new, actor)
        except BaseException:
            pending.unlink(missing_ok=True)
            raise
        pending.replace(self.key_file)
        return rotation


def _check_head(
    verdict: AuditVerdict,
    expected: ExpectedHead,
    seals: Mapping[str, int],
    superseded: Mapping[str, AuditRecord],
) -> None:
    short = expected.hash[:16]
    if expected.hash in seals:
        verdict.notes.append(f"expected head {short}… is record {seals[expected.hash]}: found")
    elif expected.hash in superseded:
        record = superseded[expected.hash]
        verdict.notes.append(
            f"expected head {short}… was the head when the trail was re-sealed "
            f"({record.action}, record {record.seq}): found"
        )
    elif expected.key is not None and any(
        r.details.get("previous_key") == expected.key for r in superseded.values()
    ):
        verdict.notes.append(
            f"expected head {short}… was sealed under key {expected.key}, retired by a "
            "later rotation: superseded, it cannot be checked without that key"
        )
    else:
        verdict.problems.append(
            f"expected head {expected.hash} is not in the audit trail: the records up to "
            "it were rewritten or removed"
        )


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"_unparseable": text}
    return value if isinstance(value, dict) else {"_value": value}
