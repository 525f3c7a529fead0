"""The audit trail: every administrative act is recorded in a hash chain, and `lfr audit
verify` names any record that was edited, removed or reordered."""

from __future__ import annotations

import itertools
import sqlite3
from pathlib import Path

import pytest
from store_helpers import templates

from lfr.cli.cmd_audit import EXIT_CHAIN_BROKEN
from lfr.store import Store
from lfr.store.db import DB_FILENAME


def _populate(store: Store) -> None:
    store.watchlists.create("wl", actor="alice", purpose="op")
    store.watchlists.add("wl", "p1", templates(2, seed=1), actor="alice", label="One")
    store.watchlists.add("wl", "p2", templates(1, seed=2), actor="bob", label="Two")
    store.watchlists.remove_identity("wl", "p2", actor="bob")
    store.audit.append("config.change", "carol", {"key": "matching.threshold", "value": 0.4})


def _raw(home: Path) -> sqlite3.Connection:
    """What an intruder with the sqlite3 shell does: drop the guards, then edit."""
    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    return conn


def test_acts_are_recorded_in_order_and_chain_verifies(store: Store, cli) -> None:
    _populate(store)
    records = store.audit.records()
    assert [r.action for r in records] == [
        "watchlist.create",
        "watchlist.add",
        "watchlist.add",
        "watchlist.remove",
        "config.change",
    ]
    assert [r.seq for r in records] == [1, 2, 3, 4, 5]
    assert records[1].actor == "alice" and records[3].actor == "bob"
    assert records[1].details["new_hash"] == records[2].details["old_hash"]
    assert records[3].details["new_hash"] == store.watchlists.get("wl").content_hash
    for prev, rec in itertools.pairwise(records):
        assert rec.prev_hash == prev.hash
    result = cli("audit", "verify")
    assert result.code == 0 and "5 record(s)" in result.out
    assert records[-1].hash in result.out


def test_triggers_refuse_plain_edits(store: Store, home: Path) -> None:
    _populate(store)
    conn = sqlite3.connect(home / DB_FILENAME)
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        conn.execute("DELETE FROM audit WHERE seq = 2")
    conn.close()


def test_one_byte_edit_is_detected_and_named(store: Store, home: Path, cli, cli_proc) -> None:
    _populate(store)
    conn = _raw(home)
    details = conn.execute("SELECT details FROM audit WHERE seq = 3").fetchone()[0]
    assert '"Two"' not in details  # labels are not in the audit; change one hash character
    i = details.index("new_hash") + len('new_hash":"')
    edited = details[:i] + ("0" if details[i] != "0" else "1") + details[i + 1 :]
    assert len(edited) == len(details) and edited != details
    conn.execute("UPDATE audit SET details = ? WHERE seq = 3", (edited,))
    conn.close()
    verdict = store.audit.verify()
    assert not verdict.ok
    assert verdict.problems[0].startswith("audit record 3 (watchlist.add)")
    assert "edited" in verdict.problems[0]
    proc = cli_proc("audit", "verify")
    assert proc.returncode == EXIT_CHAIN_BROKEN
    assert "audit record 3" in proc.stderr


def test_actor_edit_is_detected(store: Store, home: Path, cli) -> None:
    _populate(store)
    conn = _raw(home)
    conn.execute("UPDATE audit SET actor = 'alicf' WHERE seq = 2")
    conn.close()
    result = cli("audit", "verify")
    assert result.code == EXIT_CHAIN_BROKEN
    assert "audit record 2 (watchlist.add): contents do not match" in result.err


def test_removed_record_is_detected(store: Store, home: Path, cli) -> None:
    _populate(store)
    conn = _raw(home)
    conn.execute("DELETE FROM audit WHERE seq = 4")
    conn.close()
    result = cli("audit", "verify")
    assert result.code == EXIT_CHAIN_BROKEN
    assert "audit record 5" in result.err and "removed or reordered" in result.err


def test_removed_last_record_is_detected(store: Store, home: Path, cli) -> None:
    _populate(store)
    conn = _raw(home)
    conn.execute("DELETE FROM audit WHERE seq = 5")
    conn.close()
    result = cli("audit", "verify")
    assert result.code == EXIT_CHAIN_BROKEN
    assert "audit records 5..5 were removed from the end" in result.err


def test_reordered_records_are_detected(store: Store, home: Path, cli) -> None:
    _populate(store)
    conn = _raw(home)
    rows = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT seq, ts, action, actor, details, prev_hash, hash FROM audit WHERE seq IN (2, 3)"
        )
    }
    conn.execute("DELETE FROM audit WHERE seq IN (2, 3)")
    for seq, src in ((2, 3), (3, 2)):  # swap the two records' positions
        conn.execute(
            "INSERT INTO audit (seq, ts, action, actor, details, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (seq, *rows[src]),
        )
    conn.close()
    result = cli("audit", "verify")
    assert result.code == EXIT_CHAIN_BROKEN
    assert "audit record 2" in result.err


def test_append_joins_the_callers_transaction(store: Store) -> None:
    """A change and its audit record commit together: a failure after the audit append
    rolls both back."""
    with pytest.raises(RuntimeError), store.db.transaction():
        store.watchlists.create("wl", actor="t")
        raise RuntimeError("crash after the write")
    assert store.watchlists.all() == []
    assert store.audit.records() == []
    assert store.audit.verify().ok
