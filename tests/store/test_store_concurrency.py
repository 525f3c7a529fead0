"""Two processes on one database: the daemon-style reader keeps reading while the CLI
writes (WAL), and a writer killed with SIGKILL mid-transaction leaves the database as before
or as after, never in between."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from store_helpers import MODEL, cli_env, templates, unit_vectors

from lfr.pipeline.gallery import load_watchlist
from lfr.store import Store
from lfr.store.db import DB_FILENAME, ScrubIncomplete
from lfr.store.watchlists import IdentityUpdate
from lfr.watchlist.bundle import export_bundle

_WRITER = """
import sys
import numpy as np
from lfr.store import NewTemplate, Store
v = np.random.default_rng(1).standard_normal((50, 128)).astype(np.float32)
with Store.open() as s:
    with s.db.transaction():
        s.watchlists.add("wl", "newcomer", [NewTemplate(x, sys.argv[1], "ab" * 32) for x in v],
                         actor="writer")
        print("inside", flush=True)
        sys.stdin.readline()
print("committed", flush=True)
"""


def test_reader_reads_while_another_process_writes(store: Store, home: Path) -> None:
    store.watchlists.create("wl", actor="t")
    store.watchlists.add("wl", "p1", templates(3), actor="t")
    before = store.watchlists.get("wl")
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, MODEL],
        env=cli_env(home),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert writer.stdout is not None and writer.stdin is not None
        assert writer.stdout.readline().strip() == "inside"  # holds the write lock now
        with Store.open(home) as reader:  # a fresh daemon-style connection, too
            loaded = load_watchlist(reader.watchlists, "wl", MODEL)
            listed = reader.alerts.list_since(0)
        assert writer.poll() is None, "the writer must still hold its transaction"
        assert loaded.content_hash == before.content_hash and loaded.templates == 3
        assert listed == []
        loaded_again = load_watchlist(
            store.watchlists, "wl", MODEL
        )  # the long-lived connection too
        assert loaded_again.content_hash == before.content_hash
        writer.stdin.write("\n")
        writer.stdin.flush()
        assert writer.stdout.readline().strip() == "committed"
        assert writer.wait(timeout=30) == 0
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()
    after = load_watchlist(store.watchlists, "wl", MODEL)
    assert after.templates == 53 and after.content_hash != before.content_hash


def test_writer_commits_while_reader_holds_a_snapshot(store: Store, home: Path, cli_proc) -> None:
    store.watchlists.create("wl", actor="t")
    with store.watchlists.snapshot():
        assert [w.name for w in store.watchlists.all()] == ["wl"]
        proc = cli_proc("watchlist", "create", "second", timeout=60)
        assert proc.returncode == 0, proc.stderr
        proc = cli_proc("watchlist", "delete", "wl", timeout=60)
        # Committed, but the snapshot pins the WAL's old pages: said, with its own code.
        assert proc.returncode == ScrubIncomplete.exit_code, proc.stderr
        assert "deletion is committed" in proc.stderr
        # the open snapshot still sees the state it started with
        assert [w.name for w in store.watchlists.all()] == ["wl"]
    assert [w.name for w in store.watchlists.all()] == ["second"]
    store.db.scrub()  # the reader has moved on: now the WAL goes
    assert (home / "lfr.db-wal").stat().st_size == 0


def _big_bundle(tmp_path: Path, identities: int) -> tuple[Path, str]:
    vectors = unit_vectors(identities, seed=3)
    with Store.open(tmp_path / "desk") as desk:
        desk.watchlists.create("big", actor="t")
        updates = [
            IdentityUpdate(
                f"id{i:06d}",
                [templates(1, seed=i)[0].__class__(vectors[i], MODEL, f"{i:064x}", 0.9)],
                label=f"Person {i}",
                category="wanted",
            )
            for i in range(identities)
        ]
        digest = desk.watchlists.add_many("big", updates, actor="t")
        bundle = tmp_path / "big.json"
        export_bundle(desk, "big", bundle, actor="t")
    return bundle, digest


def _check_all_or_none(home: Path, digest: str, identities: int) -> str:
    with Store.open(home) as store:
        assert store.db.integrity_check() == ["ok"]
        assert store.audit.verify().ok
        names = [w.name for w in store.watchlists.all()]
        if not names:
            assert store.audit.records() == []
            return "none"
        assert names == ["big"]
        info = store.watchlists.get("big")
        assert info.identities == identities and info.templates == identities
        assert info.content_hash == digest == store.watchlists.recompute_hash("big")
        assert [r.action for r in store.audit.records()] == ["watchlist.create", "watchlist.import"]
        return "all"


def test_kill_during_large_import_leaves_all_or_none(tmp_path: Path, home: Path) -> None:
    identities = 20_000
    bundle, digest = _big_bundle(tmp_path, identities)
    Store.open(home).close()  # the database exists; the import writes into it
    wal = home / (DB_FILENAME + "-wal")
    outcomes = []
    for threshold in (256 * 1024, 2 * 1024 * 1024):
        if (home / DB_FILENAME).exists():
            for p in home.iterdir():
                p.unlink()
            Store.open(home).close()
        proc = subprocess.Popen(
            [sys.executable, "-m", "lfr.cli.admin", "watchlist", "import", str(bundle)],
            env=cli_env(home),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            if wal.exists() and wal.stat().st_size > threshold:
                break
            time.sleep(0.002)
        alive = proc.poll() is None
        if alive:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        assert alive, "the import finished before it could be killed; make it larger"
        assert proc.returncode == -signal.SIGKILL
        outcomes.append(_check_all_or_none(home, digest, identities))
    print("outcomes after SIGKILL:", outcomes)  # ['none', 'none'] here: killed mid-write


def test_a_second_connection_leaves_the_first_ones_locks(
    store: Store, home: Path, cli_proc
) -> None:
    """The daemon holds two connections. Opening the second must not close a descriptor of
    the database (POSIX drops every lock of the process with it): another process would then
    take itself for the last connection and delete the -wal and -shm files from under the
    daemon, whose connections would go on reading a stale, unlinked index."""
    store.watchlists.create("wl", actor="t")
    second = Store.open(home, check=False)
    try:
        proc = cli_proc("watchlist", "delete", "wl", timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert (home / "lfr.db-shm").exists() and (home / "lfr.db-wal").exists()
        assert store.watchlists.all() == [] and second.watchlists.all() == []
        with Store.open(home) as third:  # a third opener reads through the same index
            assert third.watchlists.all() == []
    finally:
        second.close()
