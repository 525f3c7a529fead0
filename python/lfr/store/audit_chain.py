"""The chain itself: how one audit record is sealed, how a whole trail is walked and checked,
and how it is re-sealed under a new key.

Each record's seal is HMAC-SHA256, under the audit key, of its position, time, action,
actor, on-behalf-of, details and the previous record's seal. A change anywhere breaks every
link after it, and without the key nobody can compute seals that fit again. Trails written
before the key existed used a plain SHA-256 over the same fields (less on-behalf-of); they are
checked with that once, when they are re-sealed (`lfr.store.audit_seal`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sqlite3
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lfr.store.schema import AUDIT_NO_UPDATE_TRIGGER

GENESIS_HASH = "0" * 64
ROW_COLUMNS = "seq, ts, action, actor, details, prev_hash, hash, on_behalf_of"
MAX_PROBLEMS = 20

# (seq, ts, action, actor, details, prev_hash, hash, on_behalf_of) as stored
Row = tuple[Any, Any, Any, Any, Any, Any, Any, Any]
Digest = Callable[[Row, str], str]


def canonical_json(value: Any) -> str:
    """One spelling per value, so the same details always hash the same."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def seal(
    secret: bytes,
    seq: int,
    ts: float,
    action: str,
    actor: str,
    on_behalf_of: str | None,
    details: str,
    prev_hash: str,
) -> str:
    payload = canonical_json(
        [seq, repr(float(ts)), action, actor, on_behalf_of, details, prev_hash]
    )
    return hmac.new(secret, payload.encode("utf-8"), hashlib.sha256).hexdigest()


def legacy_hash(row: Row, prev_hash: str) -> str:
    """The unkeyed SHA-256 of trails written before the audit key."""
    seq, ts, action, actor, details, _prev, _hash, on_behalf_of = row
    fields: list[Any] = [int(seq), repr(float(ts)), str(action), str(actor), str(details)]
    fields.append(prev_hash)
    if on_behalf_of is not None:
        fields.append(str(on_behalf_of))
    return hashlib.sha256(canonical_json(fields).encode("utf-8")).hexdigest()


def keyed(secret: bytes) -> Digest:
    def digest(row: Row, prev_hash: str) -> str:
        seq, ts, action, actor, details, _prev, _hash, on_behalf_of = row
        behalf = None if on_behalf_of is None else str(on_behalf_of)
        return seal(
            secret, int(seq), float(ts), str(action), str(actor), behalf, str(details), prev_hash
        )

    return digest


@dataclass
class Walk:
    """What walking a trail found: problems (capped), the last seal, and every seal seen
    (so an exported head can be looked up)."""

    records: int = 0
    head_seq: int = 0
    head_hash: str = GENESIS_HASH
    problems: list[str] = field(default_factory=list)
    seals: dict[str, int] = field(default_factory=dict)

    def problem(self, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(text)


def walk(rows: Sequence[Row], head: tuple[int, str] | None, digest: Digest) -> Walk:
    """Check every link and seal from the first record, then the head row (which catches
    records cut from the end, which the links alone cannot show)."""
    out = Walk(records=len(rows))
    expected_seq, prev_hash = 1, GENESIS_HASH
    for row in rows:
        seq, action, stored_prev, stored_hash = row[0], row[2], row[5], row[6]
        name = f"audit record {seq} ({action})"
        if seq != expected_seq:
            out.problem(
                f"{name}: expected record {expected_seq} here; records were removed or reordered"
            )
        if stored_prev != prev_hash:
            out.problem(
                f"{name}: its previous-hash does not match the record before it; "
                "records were removed or reordered"
            )
        try:
            computed = digest(row, str(stored_prev))
        except (TypeError, ValueError):
            computed = ""
        if not hmac.compare_digest(computed, str(stored_hash)):
            out.problem(f"{name}: contents do not match its seal; the record was edited")
        expected_seq, prev_hash = int(seq) + 1, str(stored_hash)
        out.seals[prev_hash] = int(seq)
    out.head_seq, out.head_hash = expected_seq - 1, prev_hash
    if rows and head is None:
        out.problem("the audit head is missing")
    elif head is not None and (head[0] != out.head_seq or head[1] != prev_hash):
        if head[0] > out.head_seq:
            out.problem(f"audit records {out.head_seq + 1}..{head[0]} were removed from the end")
        else:
            out.problem(
                f"the audit head (record {head[0]}) does not match the last record ({out.head_seq})"
            )
    return out


def read_trail(conn: sqlite3.Connection) -> tuple[list[Row], tuple[int, str] | None]:
    rows = conn.execute(f"SELECT {ROW_COLUMNS} FROM audit ORDER BY rowid").fetchall()
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    return rows, (int(head[0]), str(head[1])) if head else None


def reseal(conn: sqlite3.Connection, secret: bytes) -> tuple[int, str]:
    """Seal every record again, in order, under `secret` (inside the caller's transaction).
    The append-only trigger is lifted for exactly this statement sequence and put back."""
    rows, _head = read_trail(conn)
    conn.execute("DROP TRIGGER IF EXISTS audit_no_update")
    prev_hash, seq = GENESIS_HASH, 0
    digest = keyed(secret)
    for row in rows:
        new_hash = digest(row, prev_hash)
        conn.execute(
            "UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev_hash, new_hash, row[0])
        )
        prev_hash, seq = new_hash, int(row[0])
    conn.execute(AUDIT_NO_UPDATE_TRIGGER)
    if rows:
        set_head(conn, seq, prev_hash)
    return seq, prev_hash


def append_record(
    conn: sqlite3.Connection,
    secret: bytes,
    action: str,
    actor: str,
    details: str,
    on_behalf_of: str | None,
) -> tuple[int, str]:
    """Seal and insert one record after the head (inside the caller's transaction)."""
    head = conn.execute("SELECT seq, hash FROM audit_head WHERE id = 1").fetchone()
    prev_seq, prev_hash = (int(head[0]), str(head[1])) if head else (0, GENESIS_HASH)
    seq, ts = prev_seq + 1, time.time()
    digest = seal(secret, seq, ts, action, actor, on_behalf_of, details, prev_hash)
    conn.execute(
        f"INSERT INTO audit ({ROW_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (seq, ts, action, actor, details, prev_hash, digest, on_behalf_of),
    )
    set_head(conn, seq, digest)
    return seq, digest


def set_head(conn: sqlite3.Connection, seq: int, digest: str) -> None:
    conn.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        (seq, digest),
    )
