"""The audit trail: append-only records, each carrying the hash of the one before it.

Why a chain: an oversight body must be able to tell that nobody quietly edited, removed or
reordered the record of who put whom on a watchlist and what happened to each alert. Each
record's hash covers its position, time, action, actor, details and the previous hash, so a
change anywhere breaks every link after it; the head row catches records cut from the end.
Triggers refuse UPDATE and DELETE, which stops accidents; the chain is what detects intent.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from lfr.store.db import Database

GENESIS_HASH = "0" * 64
_MAX_PROBLEMS = 20


def canonical_json(value: Any) -> str:
    """One spelling per value, so the same details always hash the same."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def record_hash(
    seq: int,
    ts: float,
    action: str,
    actor: str,
    details: str,
    prev_hash: str,
    on_behalf_of: str | None = None,
) -> str:
    fields: list[Any] = [seq, repr(float(ts)), action, actor, details, prev_hash]
    if on_behalf_of is not None:
        fields.append(on_behalf_of)
    payload = canonical_json(fields)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


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
class AuditVerdict:
    """The result of `verify`: `ok` only if every record and the head check out."""

    records: int
    head_hash: str
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


class AuditLog:
    def __init__(self, db: Database) -> None:
        self._db = db

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
            self._append(conn, action, actor, text, on_behalf_of or None)

    @staticmethod
    def _append(
        conn: sqlite3.Connection, action: str, actor: str, details: str, on_behalf_of: str | None
    ) -> None:
        head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        prev_seq, prev_hash = head if head else (0, GENESIS_HASH)
        seq, ts = prev_seq + 1, time.time()
        digest = record_hash(seq, ts, action, actor, details, prev_hash, on_behalf_of)
        conn.execute(
            "INSERT INTO audit (seq, ts, action, actor, details, prev_hash, hash, on_behalf_of) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (seq, ts, action, actor, details, prev_hash, digest, on_behalf_of),
        )
        conn.execute(
            "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
            (seq, digest),
        )

    def records(
        self, *, action_prefix: str | None = None, since_seq: int = 0, limit: int | None = None
    ) -> list[AuditRecord]:
        sql = (
            "SELECT seq, ts, action, actor, details, prev_hash, hash, on_behalf_of "
            "FROM audit WHERE seq > ?"
        )
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

    def verify(self) -> AuditVerdict:
        """Walk the chain from the first record; name every record that fails."""
        problems: list[str] = []

        def problem(text: str) -> None:
            if len(problems) < _MAX_PROBLEMS:
                problems.append(text)

        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT seq, ts, action, actor, details, prev_hash, hash, on_behalf_of "
                "FROM audit ORDER BY rowid"
            ).fetchall()
            head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
        expected_seq, prev_hash = 1, GENESIS_HASH
        for seq, ts, action, actor, details, stored_prev, stored_hash, behalf in rows:
            name = f"audit record {seq} ({action})"
            if seq != expected_seq:
                problem(
                    f"{name}: expected record {expected_seq} here; records were removed "
                    "or reordered"
                )
            if stored_prev != prev_hash:
                problem(
                    f"{name}: its previous-hash does not match the record before it; "
                    "records were removed or reordered"
                )
            try:
                digest = record_hash(
                    int(seq),
                    float(ts),
                    str(action),
                    str(actor),
                    str(details),
                    str(stored_prev),
                    None if behalf is None else str(behalf),
                )
            except (TypeError, ValueError):
                digest = ""
            if digest != stored_hash:
                problem(f"{name}: contents do not match its hash; the record was edited")
            expected_seq, prev_hash = int(seq) + 1, str(stored_hash)
        last_seq = expected_seq - 1
        if rows and head is None:
            problem("the audit head is missing")
        elif head is not None and (head[0] != last_seq or head[1] != prev_hash):
            if head[0] > last_seq:
                problem(f"audit records {last_seq + 1}..{head[0]} were removed from the end")
            else:
                problem(
                    f"the audit head (record {head[0]}) does not match the last record ({last_seq})"
                )
        return AuditVerdict(records=len(rows), head_hash=prev_hash, problems=problems)


def _loads(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text)
    except ValueError:
        return {"_unparseable": text}
    return value if isinstance(value, dict) else {"_value": value}
