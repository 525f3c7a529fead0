"""The database file: creation, WAL, migrations, and refusing damaged or foreign files
without ever changing them."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from store_helpers import cli_env, file_sha256, templates

from lfr.store import Store, StoreCorrupt, StoreError
from lfr.store.db import DB_FILENAME
from lfr.store.schema import SCHEMA_VERSION


def test_open_creates_migrated_wal_database(home: Path) -> None:
    with Store.open(home) as store:
        assert store.path == home / DB_FILENAME
    conn = sqlite3.connect(home / DB_FILENAME)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"watchlists", "identities", "templates", "alerts", "audit", "runs"} <= tables
    conn.close()
    with Store.open(home) as store:  # reopening migrates nothing and loses nothing
        store.watchlists.create("wl", actor="t")
        files = sorted(p.name for p in home.iterdir())
        assert files == [DB_FILENAME, DB_FILENAME + "-shm", DB_FILENAME + "-wal"]
        for p in home.iterdir():  # biometric data: owner only, WAL and shm included
            assert p.stat().st_mode & 0o077 == 0, p
    assert home.stat().st_mode & 0o077 == 0
    with Store.open(home) as store:
        assert [w.name for w in store.watchlists.all()] == ["wl"]


def test_newer_schema_is_refused_untouched(home: Path) -> None:
    Store.open(home).close()
    db = home / DB_FILENAME
    conn = sqlite3.connect(db)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = file_sha256(db)
    with pytest.raises(StoreError, match="newer than this lfr supports"):
        Store.open(home)
    assert file_sha256(db) == before


@pytest.mark.parametrize("content", [b"not a database at all\n" * 100, b"\x00\xff" * 4096])
def test_garbage_file_gives_clear_error_and_is_kept(home: Path, content: bytes, cli) -> None:
    home.mkdir(parents=True)
    db = home / DB_FILENAME
    db.write_bytes(content)
    with pytest.raises(StoreCorrupt, match="left untouched"):
        Store.open(home)
    result = cli("watchlist", "list")
    assert result.code == StoreCorrupt.exit_code != 0
    assert "not an SQLite database" in result.err and str(db) in result.err
    assert db.read_bytes() == content
    assert sorted(p.name for p in home.iterdir()) == [DB_FILENAME]


def test_damaged_page_gives_clear_error_and_is_kept(home: Path) -> None:
    with Store.open(home) as store:
        store.watchlists.create("wl", actor="t")
        store.watchlists.add("wl", "p", templates(300), actor="t")
        store.db.scrub()
    db = home / DB_FILENAME
    data = bytearray(db.read_bytes())
    page = 4096
    assert len(data) > 8 * page
    data[3 * page : 6 * page] = b"\xa5" * (3 * page)  # wreck three b-tree pages
    db.write_bytes(bytes(data))
    before = file_sha256(db)
    proc = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [sys.executable, "-m", "lfr.cli.admin", "watchlist", "show", "wl"],
        env=cli_env(home),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "damaged" in proc.stderr or "integrity check" in proc.stderr
    assert "Traceback" not in proc.stderr
    with pytest.raises(StoreCorrupt):
        Store.open(home)
    assert file_sha256(db) == before


def test_foreign_sqlite_database_is_refused(home: Path) -> None:
    home.mkdir(parents=True)
    db = home / DB_FILENAME
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE photos (x)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    before = file_sha256(db)
    with pytest.raises(StoreCorrupt, match="not an lfr one"):
        Store.open(home)
    assert file_sha256(db) == before
