"""Bundles move a watchlist between hosts: exact round trip, hash and signature checks,
never pickle, one-transaction import."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from store_helpers import MODEL, templates

from lfr.store import Store, WatchlistExists
from lfr.watchlist.bundle import BundleError, export_bundle, import_bundle


@pytest.fixture
def source(store: Store) -> Store:
    store.watchlists.create(
        "op", actor="t", purpose="p", authorised_by="A", threshold=0.42, expires_at=4_000_000_000.0
    )
    store.watchlists.add(
        "op", "p1", templates(2, seed=1), actor="t", label="One", category="wanted", notes="n1"
    )
    tpl = templates(1, seed=2)
    tpl = [type(tpl[0])(tpl[0].vector, MODEL, tpl[0].source_sha256, 0.8, b"\xff\xd8thumb")]
    store.watchlists.add("op", "p2", tpl, actor="t", label="Two", category="missing")
    return store


def _key(tmp_path: Path, text: bytes = b"0123456789abcdef0123456789abcdef") -> Path:
    path = tmp_path / "key"
    path.write_bytes(text)
    return path


def test_round_trip_is_exact(source: Store, tmp_path: Path) -> None:
    bundle = tmp_path / "op.json"
    digest = export_bundle(source, "op", bundle, actor="t")
    assert json.loads(bundle.read_text())["hmac_sha256"] is None
    with Store.open(tmp_path / "host") as target:
        assert import_bundle(target, bundle, actor="importer") == digest
        got = target.watchlists.get("op")
        assert (got.content_hash, got.threshold, got.expires_at, got.purpose) == (
            digest,
            0.42,
            4_000_000_000.0,
            "p",
        )
        a = source.watchlists.templates("op")
        b = target.watchlists.templates("op")
        assert [
            (t.identity_id, t.vector.tobytes(), t.source_sha256, t.thumbnail_jpeg) for t in a
        ] == [(t.identity_id, t.vector.tobytes(), t.source_sha256, t.thumbnail_jpeg) for t in b]
        assert [i.notes for i in target.watchlists.identities("op")] == ["n1", ""]
        assert [r.action for r in target.audit.records()] == [
            "watchlist.create",
            "watchlist.import",
        ]
        with pytest.raises(WatchlistExists):
            import_bundle(target, bundle, actor="importer")
        assert len(target.audit.records()) == 2  # the refused import left nothing
    assert source.audit.records(action_prefix="watchlist.export")[0].details["signed"] is False


def test_altered_bundle_is_refused(source: Store, tmp_path: Path) -> None:
    bundle = tmp_path / "op.json"
    export_bundle(source, "op", bundle, actor="t")
    envelope = json.loads(bundle.read_text())
    envelope["payload"] = envelope["payload"].replace('"label":"One"', '"label":"Onf"')
    bundle.write_text(json.dumps(envelope))
    with Store.open(tmp_path / "host") as target:
        with pytest.raises(BundleError, match="hash does not match"):
            import_bundle(target, bundle, actor="t")
        # re-hashing the envelope is not enough: the watchlist hash inside catches it
        import hashlib

        envelope["sha256"] = hashlib.sha256(envelope["payload"].encode()).hexdigest()
        bundle.write_text(json.dumps(envelope))
        with pytest.raises(BundleError, match="do not match the watchlist hash"):
            import_bundle(target, bundle, actor="t")
        assert target.watchlists.all() == []


def test_signed_bundle_needs_the_right_key(source: Store, tmp_path: Path, cli) -> None:
    key = _key(tmp_path)
    bundle = tmp_path / "op.json"
    assert cli("watchlist", "export", "op", str(bundle), "--key-file", str(key)).code == 0
    assert json.loads(bundle.read_text())["hmac_sha256"]
    host = tmp_path / "host"
    r = cli("watchlist", "import", str(bundle), "--home", str(host))
    assert r.code != 0 and "is signed" in r.err
    wrong = _key(tmp_path / "..", b"another-key-of-32-bytes-long-xxx")
    r = cli("watchlist", "import", str(bundle), "--home", str(host), "--key-file", str(wrong))
    assert r.code != 0 and "signature does not match" in r.err
    r = cli(
        "watchlist",
        "import",
        str(bundle),
        "--home",
        str(host),
        "--key-file",
        str(key),
        "--name",
        "op-copy",
    )
    assert r.code == 0, r.err
    with Store.open(host) as target:
        assert (
            target.watchlists.get("op-copy").content_hash
            == source.watchlists.get("op").content_hash
        )
    short = _key(tmp_path, b"short")
    r = cli("watchlist", "export", "op", str(bundle), "--key-file", str(short))
    assert r.code != 0 and "at least 16" in r.err


def test_garbage_and_pickle_are_refused(store: Store, tmp_path: Path) -> None:
    import pickle

    bad = tmp_path / "bad.bundle"
    bad.write_bytes(pickle.dumps({"format": "lfr-watchlist-bundle"}))
    with pytest.raises(BundleError, match="not a readable"):
        import_bundle(store, bad, actor="t")
    bad.write_text(json.dumps({"format": "something-else"}))
    with pytest.raises(BundleError, match="not an lfr watchlist bundle"):
        import_bundle(store, bad, actor="t")
    assert store.watchlists.all() == []
