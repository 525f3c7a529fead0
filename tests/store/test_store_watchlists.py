"""Watchlists: content hash discipline, model and expiry refusals at load, and CLI round
trips of the commands that need no face model."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from store_helpers import MODEL, templates, unit_vectors

from lfr.pipeline.gallery import load_watchlist
from lfr.store import (
    IdentityNotFound,
    IntegrityError,
    ModelMismatch,
    Store,
    StoreError,
    WatchlistExists,
    WatchlistExpired,
    WatchlistNotFound,
)
from lfr.store.content import content_hash
from lfr.store.db import DB_FILENAME


def test_hash_is_recomputed_on_every_change_and_matches_contents(store: Store) -> None:
    wl = store.watchlists
    empty = wl.create("wl", actor="t").content_hash
    h1 = wl.add("wl", "p1", templates(2, seed=1), actor="t", label="One", category="wanted")
    h2 = wl.add("wl", "p2", templates(1, seed=2), actor="t", label="Two")
    h3 = wl.add("wl", "p2", [], actor="t", label="Two renamed")  # a label is content too
    assert len({empty, h1, h2, h3}) == 4
    assert wl.get("wl").content_hash == h3 == wl.recompute_hash("wl")
    assert wl.remove_identity("wl", "p2", actor="t") == 1
    assert wl.get("wl").content_hash == h1  # back to the same content, same hash
    with pytest.raises(IdentityNotFound):
        wl.remove_identity("wl", "p2", actor="t")
    info = wl.get("wl")
    assert (info.identities, info.templates, info.model_ids) == (1, 2, (MODEL,))


def test_hash_ignores_insertion_order_but_not_bytes(home: Path, tmp_path: Path) -> None:
    a, b = templates(1, seed=1), templates(2, seed=2)
    with Store.open(tmp_path / "one") as s1, Store.open(tmp_path / "two") as s2:
        for s in (s1, s2):
            s.watchlists.create("wl", actor="t")
        s1.watchlists.add("wl", "a", a, actor="t")
        s1.watchlists.add("wl", "b", b, actor="t")
        s2.watchlists.add("wl", "b", b[::-1], actor="t")
        s2.watchlists.add("wl", "a", a, actor="t")
        assert s1.watchlists.get("wl").content_hash == s2.watchlists.get("wl").content_hash
        s2.watchlists.add("wl", "a", templates(1, seed=3), actor="t")
        assert s1.watchlists.get("wl").content_hash != s2.watchlists.get("wl").content_hash


def test_content_hash_is_length_prefixed() -> None:
    blob = unit_vectors(1)[0].tobytes()
    assert content_hash([("ab", "c", "", [(blob, "m")])]) != content_hash(
        [("a", "bc", "", [(blob, "m")])]
    )


def test_refusals(store: Store) -> None:
    wl = store.watchlists
    with pytest.raises(StoreError, match="invalid watchlist name"):
        wl.create("../etc", actor="t")
    with pytest.raises(StoreError, match="in the past"):
        wl.create("old", actor="t", expires_at=time.time() - 1)
    wl.create("wl", actor="t")
    with pytest.raises(WatchlistExists):
        wl.create("wl", actor="t")
    with pytest.raises(WatchlistNotFound):
        wl.add("nope", "p", templates(1), actor="t")
    with pytest.raises(StoreError, match="invalid identity id"):
        wl.add("wl", "bad id", templates(1), actor="t")
    wl.add("wl", "p", templates(1), actor="t")
    before = wl.get("wl")
    with pytest.raises(ModelMismatch):
        wl.add("wl", "q", templates(1, model="other-model+1"), actor="t")
    with pytest.raises(StoreError, match="64"):
        wl.add("wl", "q", templates(1, dim=64), actor="t")
    with pytest.raises(StoreError, match="finite"):
        bad = templates(1)[0]
        wl.add("wl", "q", [type(bad)(np.full(128, np.nan), MODEL, bad.source_sha256)], actor="t")
    assert wl.get("wl") == before  # refused adds changed nothing
    assert [r.action for r in store.audit.records()] == ["watchlist.create", "watchlist.add"]


def test_load_builds_a_searchable_gallery(store: Store) -> None:
    vecs = unit_vectors(3, seed=7)
    store.watchlists.create("wl", actor="t", threshold=0.4)
    for i, name in enumerate(("a", "b", "c")):
        t = templates(1, seed=10 + i)[0]
        store.watchlists.add(
            "wl",
            name,
            [type(t)(vecs[i], MODEL, t.source_sha256)],
            actor="t",
            label=name.upper(),
            category="wanted",
        )
    loaded = load_watchlist(store.watchlists, "wl", MODEL)
    assert loaded.content_hash == store.watchlists.get("wl").content_hash
    assert loaded.threshold == 0.4 and loaded.templates == 3
    assert loaded.labels == {"a": "A", "b": "B", "c": "C"}
    assert set(loaded.categories.values()) == {"wanted"}
    ids, scores = loaded.gallery.search(np.ascontiguousarray(vecs[[1]]), 1)
    assert ids[0][0] == "b" and scores[0][0] == pytest.approx(1.0, abs=1e-5)


def test_load_refuses_other_model_with_reenrol_message(store: Store) -> None:
    store.watchlists.create("wl", actor="t")
    store.watchlists.add("wl", "p", templates(1), actor="t")
    with pytest.raises(ModelMismatch, match="re-enrol"):
        load_watchlist(store.watchlists, "wl", "sface-2021dec+deadbeef")


def test_load_refuses_content_edited_outside_lfr(store: Store, home: Path) -> None:
    store.watchlists.create("wl", actor="t")
    store.watchlists.add("wl", "p", templates(1), actor="t", label="P")
    conn = sqlite3.connect(home / DB_FILENAME)
    conn.execute("UPDATE identities SET label = 'Someone else'")
    conn.commit()
    conn.close()
    with pytest.raises(IntegrityError, match="content hash"):
        load_watchlist(store.watchlists, "wl", MODEL)


def test_expiry_refuses_load_and_purge_is_audited(store: Store, cli) -> None:
    wl = store.watchlists
    now = time.time()
    wl.create("short", actor="t", expires_at=now + 60)
    wl.add("short", "p", templates(2), actor="t")
    wl.create("long", actor="t", expires_at=now + 86_400)
    assert load_watchlist(wl, "short", MODEL).templates == 2
    wl.update("short", actor="t", expires_at=now - 1)  # revoked early
    with pytest.raises(WatchlistExpired, match="nothing may be added"):
        wl.add("short", "q", templates(1, seed=9), actor="t")
    wl.update("short", actor="t", expires_at=now + 60)
    with pytest.raises(WatchlistExpired, match="expired"):
        load_watchlist(wl, "short", MODEL, now=now + 61)
    assert wl.purge_expired(actor="t", now=now + 30) == []
    assert wl.purge_expired(actor="janitor", now=now + 61) == ["short"]
    assert [w.name for w in wl.all()] == ["long"]
    record = store.audit.records(action_prefix="watchlist.expire")[0]
    assert record.actor == "janitor"
    assert record.details["watchlist"] == "short" and record.details["templates"] == 2
    assert store.db.integrity_check() == ["ok"]
    with store.db.read() as conn:  # the purge took the templates with it
        assert conn.execute("SELECT count(*) FROM templates").fetchone()[0] == 0


def test_cli_expired_watchlist_round_trip(home: Path, cli) -> None:
    assert cli("watchlist", "create", "op", "--expires", "2s").code == 0
    assert "EXPIRED" not in cli("watchlist", "list").out
    time.sleep(2.2)
    assert "EXPIRED" in cli("watchlist", "list").out
    result = cli("watchlist", "purge-expired")
    assert result.code == 0 and "purged 1 expired watchlist(s): op" in result.out
    assert cli("watchlist", "list").out == ""
    assert "watchlist.expire" in cli("audit", "list").out


def test_cli_create_show_update_remove_delete(home: Path, cli) -> None:
    result = cli(
        "watchlist",
        "create",
        "op",
        "--expires",
        "2030-01-01",
        "--purpose",
        "find X",
        "--authorised-by",
        "Supt Y",
        "--legal-basis",
        "PACE s.1",
        "--threshold",
        "0.41",
    )
    assert result.code == 0, result.err
    with Store.open(home) as store:
        store.watchlists.add("op", "p1", templates(2), actor="t", label="Person One")
    shown = json.loads(cli("watchlist", "show", "op", "--json").out)
    assert shown["purpose"] == "find X" and shown["legal_basis"] == "PACE s.1"
    assert shown["expires_at"] == "2030-01-01 00:00:00Z" and shown["threshold"] == 0.41
    assert [(i["id"], i["label"], i["templates"]) for i in shown["identity_list"]] == [
        ("p1", "Person One", 2)
    ]
    assert cli("watchlist", "update", "op", "--threshold", "0.45").code == 0
    listed = json.loads(cli("watchlist", "list", "--json").out)
    assert listed[0]["threshold"] == 0.45 and listed[0]["identities"] == 1
    result = cli("watchlist", "remove", "op", "--id", "p1")
    assert result.code == 0 and "2 template(s)" in result.out
    assert cli("watchlist", "remove", "op", "--id", "p1").code != 0
    assert cli("watchlist", "delete", "op").code == 0
    result = cli("watchlist", "show", "op")
    assert result.code != 0 and "no watchlist named 'op'" in result.err
    actions = [line.split("\t")[3] for line in cli("audit", "list").out.splitlines()]
    assert actions == [
        "watchlist.create",
        "watchlist.add",
        "watchlist.update",
        "watchlist.remove",
        "watchlist.delete",
    ]
    assert all(
        line.split("\t")[2] == "tester"
        for line in cli("audit", "list").out.splitlines()
        if "watchlist.add" not in line
    )
