"""Deleted biometric data leaves no bytes: after an identity is removed, a watchlist deleted or
purged on expiry, or alerts removed by retention, no fragment of their templates, thumbnails
or crops is left in any file of the data directory (`lfr.db`, `-wal`, `-shm`, anything else),
while a second connection holds the store open as the daemon does."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
from store_helpers import templates

from lfr.pipeline.gallery import load_watchlist
from lfr.store import AlertRecord, NewTemplate, Store
from lfr.store.content import template_to_blob

OBAMA = "face_recognition/examples/obama.jpg"
BIDEN = "face_recognition/examples/biden.jpg"
DAY = 86_400.0


def fragments(blob: bytes, size: int = 16, step: int = 32) -> list[bytes]:
    """Windows of the data, from the JPEG's entropy-coded body when it is one (its headers
    are the same in every thumbnail the encoder makes)."""
    sos = blob.find(b"\xff\xda")
    body = blob[sos + 2 :] if blob.startswith(b"\xff\xd8") and sos > 0 else blob
    return [body[i : i + size] for i in range(0, len(body) - size, step)]


def traces(home: Path, secrets: list[bytes]) -> dict[str, int]:
    """How many fragments of `secrets` each file under `home` holds (only files with any)."""
    wanted = [f for s in secrets for f in fragments(s)]
    found = {}
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits = sum(1 for f in wanted if f in data)
        if hits:
            found[path.name] = hits
    return found


def biometrics(store: Store, watchlist: str, identity: str) -> list[bytes]:
    out = []
    for t in store.watchlists.templates(watchlist):
        if t.identity_id == identity:
            out.append(template_to_blob(t.vector))
            if t.thumbnail_jpeg:
                out.append(t.thumbnail_jpeg)
    return out


def test_removed_and_deleted_enrolments_leave_no_bytes(
    home: Path, cli, use_analyzer: Any, sample_data: Path
) -> None:
    daemon = Store.open(home)  # the daemon's connection, open throughout
    try:
        assert cli("watchlist", "create", "wl", "--expires", "2d").code == 0
        for who, photo in (("obama", OBAMA), ("biden", BIDEN)):
            result = cli("watchlist", "add", "wl", "--id", who, str(sample_data / photo))
            assert result.code == 0, result.err
        load_watchlist(daemon.watchlists, "wl", use_analyzer.model_id)  # the daemon reads
        obama, biden = biometrics(daemon, "wl", "obama"), biometrics(daemon, "wl", "biden")
        assert len(obama) == 2 and len(biden) == 2  # a template and a thumbnail each
        assert traces(home, biden)  # the scan finds what is there

        assert cli("watchlist", "remove", "wl", "--id", "biden").code == 0
        assert traces(home, biden) == {}
        assert traces(home, obama), "the identity that stays must still be stored"

        assert cli("watchlist", "delete", "wl").code == 0
        daemon.watchlists.all()  # the daemon carries on reading
        assert traces(home, obama + biden) == {}
    finally:
        daemon.close()
    assert traces(home, obama + biden) == {}


def _with_thumbnails(n: int, seed: int) -> list[NewTemplate]:
    rng = np.random.default_rng(seed)
    return [
        NewTemplate(t.vector, t.model_id, t.source_sha256, t.quality, b"\xff\xd8" + rng.bytes(3000))
        for t in templates(n, seed=seed)
    ]


def _blobs(items: list[NewTemplate]) -> list[bytes]:
    return [template_to_blob(t.vector) for t in items] + [t.thumbnail_jpeg or b"" for t in items]


def test_expiry_purge_and_retention_leave_no_bytes(store: Store, home: Path) -> None:
    daemon = Store.open(home)
    try:
        now = time.time()
        store.watchlists.create("short", actor="t", expires_at=now + 60)
        store.watchlists.create("long", actor="t", expires_at=now + 10 * DAY)
        gone, kept = _with_thumbnails(3, seed=1), _with_thumbnails(2, seed=2)
        store.watchlists.add("short", "p", gone, actor="t")
        store.watchlists.add("long", "q", kept, actor="t")
        rng = np.random.default_rng(3)
        crops = [b"\xff\xd8" + rng.bytes(4000) for _ in range(3)]
        for age, crop in zip((40, 35, 1), crops, strict=True):
            daemon.alerts.record(
                AlertRecord("cam", now - age * DAY, "long", "h" * 64, "q", 0.5, 0.3, 1, crop)
            )
        daemon.watchlists.templates("short")
        assert traces(home, _blobs(gone) + crops)

        assert store.watchlists.purge_expired(actor="daemon", now=now + 120) == ["short"]
        assert traces(home, _blobs(gone)) == {}
        result = store.retention.purge_alerts(alerts_days=31, now=now, actor="retention")
        assert result.crops == 2
        assert traces(home, crops[:2]) == {}
        assert traces(home, _blobs(kept) + crops[2:]), "what is kept must still be stored"
    finally:
        daemon.close()


def test_scrub_waits_for_a_reader_and_retries(store: Store, home: Path) -> None:
    """A reader holding an old snapshot makes the checkpoint report `busy`: the deletion
    retries until the reader moves on instead of leaving the old pages in the WAL."""
    assert store.db._conn.execute("PRAGMA journal_size_limit").fetchone()[0] == 0
    items = _with_thumbnails(4, seed=7)
    store.watchlists.create("wl", actor="t")
    store.watchlists.add("wl", "p", items, actor="t")
    reader = Store.open(home)
    holding = threading.Event()

    def hold_snapshot() -> None:
        with reader.watchlists.snapshot():
            reader.watchlists.templates("wl")
            holding.set()
            time.sleep(1.5)

    thread = threading.Thread(target=hold_snapshot)
    thread.start()
    try:
        assert holding.wait(10)
        store.watchlists.delete("wl", actor="t")  # waits out the reader, then scrubs
    finally:
        thread.join()
        reader.close()
    assert (home / "lfr.db-wal").stat().st_size == 0
    assert traces(home, _blobs(items)) == {}
