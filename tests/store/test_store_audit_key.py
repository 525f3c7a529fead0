"""The audit trail is sealed with a key kept outside the data directory: someone who can write
the database, but does not hold the key, cannot rewrite it unnoticed; exported heads catch a
rewrite even by someone who holds the key; old trails are re-sealed on the record; the key can
be rotated on the record."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import cli_env, templates

from lfr.cli.cmd_audit import EXIT_CHAIN_BROKEN
from lfr.store import Store, StoreError
from lfr.store.audit_chain import GENESIS_HASH, canonical_json, keyed, legacy_hash
from lfr.store.audit_key import AuditKeyError, load_audit_key, pending_path
from lfr.store.db import DB_FILENAME
from lfr.store.schema import MIGRATIONS


def _populate(store: Store) -> None:
    store.watchlists.create("wl", actor="alice", purpose="op")
    store.watchlists.add("wl", "p1", templates(2, seed=1), actor="alice", label="One")
    store.watchlists.add("wl", "p2", templates(1, seed=2), actor="bob", label="Two")


def _rows(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute(
        "SELECT seq, ts, action, actor, details, prev_hash, hash, on_behalf_of FROM audit "
        "ORDER BY seq"
    ).fetchall()


def _rewrite(home: Path, edit, digest) -> None:
    """An intruder with write access to the database: edit a record, then recompute every
    hash after it and the head with `digest`, and put the guards back."""
    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    conn.execute("DROP TRIGGER audit_no_update")
    edit(conn)
    prev = GENESIS_HASH
    for row in _rows(conn):
        new = digest((*row[:5], prev, row[6], row[7]), prev)
        conn.execute("UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?", (prev, new, row[0]))
        prev = new
    conn.execute("UPDATE audit_head SET hash = ?", (prev,))
    conn.close()


def _old_formula(row: tuple, prev: str) -> str:
    """The published, unkeyed formula the trail used before it was sealed."""
    seq, ts, action, actor, details = row[:5]
    payload = canonical_json([seq, repr(float(ts)), action, actor, details, prev])
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def test_rewrite_without_the_key_is_detected(store: Store, home: Path, cli) -> None:
    _populate(store)
    assert store.audit.verify().ok
    _rewrite(
        home,
        lambda c: c.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2"),
        _old_formula,
    )
    verdict = store.audit.verify()
    assert not verdict.ok
    assert verdict.problems[0].startswith("audit record 1 (watchlist.create)")
    result = cli("audit", "verify")
    assert result.code == EXIT_CHAIN_BROKEN and "record 2 (watchlist.add)" in result.err


def test_key_is_created_private_outside_the_data_dir_and_named(
    store: Store, home: Path, audit_key_file: Path, cli
) -> None:
    _populate(store)
    assert audit_key_file.is_file() and (audit_key_file.stat().st_mode & 0o777) == 0o600
    assert not audit_key_file.resolve().is_relative_to(home.resolve())
    fingerprint = load_audit_key(audit_key_file).fingerprint
    assert fingerprint not in audit_key_file.read_text()  # names the key, does not reveal it
    result = cli("audit", "verify")
    assert result.code == 0 and f"key {fingerprint} ({audit_key_file})" in result.out
    with pytest.raises(StoreError, match="inside the data directory"):
        Store.open(home, audit_key_file=home / "keys" / "audit.key")


def test_another_key_cannot_write_or_verify(store: Store, home: Path, tmp_path: Path) -> None:
    _populate(store)
    other = tmp_path / "other" / "audit.key"
    with Store.open(home, audit_key_file=other) as intruder:
        with pytest.raises(AuditKeyError, match="does not exist, but this store"):
            intruder.watchlists.create("sneaky", actor="mallory")  # no key made up
        assert not other.exists()
        load_audit_key(other)  # now a key of its own
        with pytest.raises(AuditKeyError, match="sealed with key"):
            intruder.watchlists.create("sneaky", actor="mallory")
        verdict = intruder.audit.verify()
    assert not verdict.ok and "sealed with key" in verdict.problems[0]
    assert [w.name for w in store.watchlists.all()] == ["wl"]  # nothing was written
    env = {**cli_env(home), "LFR_AUDIT_KEY_FILE": str(other)}
    proc = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "lfr.cli.admin", "watchlist", "create", "x"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0 and "sealed with key" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_key_readable_by_others_is_refused(store: Store, audit_key_file: Path) -> None:
    _populate(store)
    audit_key_file.chmod(0o644)
    try:
        with pytest.raises(AuditKeyError, match="chmod 600"):
            load_audit_key(audit_key_file)
    finally:
        audit_key_file.chmod(0o600)


def test_exported_heads_catch_a_rewrite_by_a_key_holder(
    store: Store, home: Path, audit_key_file: Path, cli
) -> None:
    _populate(store)
    assert cli("audit", "export-head").code == 0
    log = home / "audit.head.log"
    assert (log.stat().st_mode & 0o777) == 0o600
    (line,) = [json.loads(x) for x in log.read_text().splitlines()]
    assert (line["seq"], line["head"]) == store.audit.head()
    store.watchlists.remove_identity("wl", "p2", actor="bob")
    assert cli("audit", "export-head").code == 0
    assert len(log.read_text().splitlines()) == 2  # appended, never rewritten
    assert cli("audit", "verify", "--head-log", str(log)).code == 0
    assert cli("audit", "verify", "--expect-head", line["head"]).code == 0
    assert cli("audit", "verify", "--expect-head", "ab" * 32).code == EXIT_CHAIN_BROKEN

    secret = load_audit_key(audit_key_file).secret
    _rewrite(  # someone with the key and the database re-seals an edited trail
        home,
        lambda c: c.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2"),
        keyed(secret),
    )
    assert store.audit.verify().ok  # the seals alone cannot tell
    result = cli("audit", "verify", "--head-log", str(log))
    assert result.code == EXIT_CHAIN_BROKEN
    assert f"expected head {line['head']} is not in the audit trail" in result.err


def _legacy_store(home: Path) -> str:
    """A store as lfr wrote it before the key (schema 1, plain SHA-256 chain); returns its
    head."""
    home.mkdir(parents=True)
    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    for statement in dict(MIGRATIONS)[1]:
        conn.execute(statement)
    conn.execute("PRAGMA user_version = 1")
    prev = GENESIS_HASH
    for seq, (action, actor) in enumerate((("watchlist.create", "al"), ("config.x", "bo")), 1):
        row = (
            seq,
            1_700_000_000.0 + seq,
            action,
            actor,
            canonical_json({"n": seq}),
            prev,
            "",
            None,
        )
        digest = legacy_hash(row, prev)
        conn.execute(
            "INSERT INTO audit (seq, ts, action, actor, details, prev_hash, hash) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (*row[:5], prev, digest),
        )
        prev = digest
    conn.execute("INSERT INTO audit_head (id, seq, hash) VALUES (1, 2, ?)", (prev,))
    conn.close()
    return prev


def test_a_legacy_trail_is_resealed_on_the_record(home: Path, cli) -> None:
    legacy_head = _legacy_store(home)
    with Store.open(home) as store:
        store.watchlists.create("wl", actor="carol")
        records = store.audit.records()
        assert [r.action for r in records] == [
            "watchlist.create",
            "config.x",
            "audit.seal",
            "watchlist.create",
        ]
        seal = records[2].details
        assert (seal["from"], seal["to"], seal["records"]) == ("sha256", "hmac-sha256", 2)
        assert seal["previous_head"] == legacy_head and seal["problems"] == []
        assert store.audit.verify().ok
    result = cli("audit", "verify", "--expect-head", legacy_head)
    assert result.code == 0 and "re-sealed (audit.seal, record 3): found" in result.out


def test_rotation_reseals_on_the_record_and_retires_the_old_key(
    store: Store, home: Path, audit_key_file: Path, cli
) -> None:
    _populate(store)
    old = load_audit_key(audit_key_file)
    old_head = store.audit.head()[1]
    result = cli("audit", "rotate-key")
    assert result.code == 0, result.err
    new = load_audit_key(audit_key_file)
    assert new.fingerprint != old.fingerprint and not pending_path(audit_key_file).exists()
    assert (audit_key_file.stat().st_mode & 0o777) == 0o600
    (rotation,) = store.audit.records(action_prefix="audit.rotate_key")
    assert rotation.details["previous_key"] == old.fingerprint
    assert rotation.details["key"] == new.fingerprint
    assert rotation.details["previous_head"] == old_head
    assert rotation.actor == "tester"
    store.watchlists.add("wl", "p3", templates(1, seed=3), actor="alice")  # same process
    verdict = store.audit.verify()
    assert verdict.ok and verdict.key_fingerprint == new.fingerprint
    result = cli("audit", "verify", "--head-log", str(home / "audit.head.log"))
    assert result.code == 0, result.err


def test_rotation_refuses_a_broken_trail(store: Store, home: Path, cli) -> None:
    _populate(store)
    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET actor = 'mallory' WHERE seq = 2")
    conn.close()
    result = cli("audit", "rotate-key")
    assert result.code != 0 and "would seal the damage" in result.err
    assert store.audit.verify().problems[0].startswith("audit record 2")


def test_an_interrupted_rotation_is_finished_by_the_next_load(
    store: Store, audit_key_file: Path
) -> None:
    """Crash after the database was re-sealed, before the new key was moved into place."""
    _populate(store)
    old_text = audit_key_file.read_text()
    store.audit.rotate_key("ops")
    new_text = audit_key_file.read_text()
    pending_path(audit_key_file).write_text(new_text)
    os.chmod(pending_path(audit_key_file), 0o600)
    audit_key_file.write_text(old_text)
    with Store.open(store.path.parent) as fresh:
        assert fresh.audit.verify().ok
    assert audit_key_file.read_text() == new_text
    assert not pending_path(audit_key_file).exists()


def test_a_rotation_after_an_interrupted_one_keeps_the_sealing_key(
    store: Store, audit_key_file: Path
) -> None:
    """The pending key of a committed rotation is the store's key: the next rotation must
    move it into place, not throw it away as a stale leftover."""
    _populate(store)
    old_text = audit_key_file.read_text()
    store.audit.rotate_key("ops")
    pending_path(audit_key_file).write_text(audit_key_file.read_text())
    os.chmod(pending_path(audit_key_file), 0o600)
    audit_key_file.write_text(old_text)
    with Store.open(store.path.parent) as fresh:
        fresh.audit.rotate_key("ops")
        assert fresh.audit.verify().ok
    assert len(store.audit.records(action_prefix="audit.rotate_key")) == 2
