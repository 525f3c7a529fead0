"""Bundles from a host that cannot be trusted: a configured bundle key makes every import
demand a signature (no downgrade to unsigned), the bundle key is never the audit key, export
cannot be redirected through a planted symlink, and a malformed bundle of any shape is one
clear error, never a traceback."""

from __future__ import annotations

import copy
import hashlib
import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import templates

from lfr.errors import LfrError
from lfr.store import Store
from lfr.watchlist.bundle import BundleError, export_bundle, import_bundle


@pytest.fixture
def bundle(store: Store, tmp_path: Path) -> Path:
    store.watchlists.create("op", actor="t", purpose="p", expires_at=4_000_000_000.0)
    store.watchlists.add("op", "p1", templates(2, seed=1), actor="t", label="One")
    path = tmp_path / "op.json"
    export_bundle(store, "op", path, actor="t")  # unsigned
    return path


def _key(path: Path, text: bytes = b"0123456789abcdef0123456789abcdef") -> Path:
    path.write_bytes(text)
    return path


def test_configured_key_refuses_unsigned_imports(
    bundle: Path, tmp_path: Path, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    key = _key(tmp_path / "bundle.key")
    monkeypatch.setenv("LFR_BUNDLE_KEY_FILE", str(key))
    host = str(tmp_path / "host")
    result = cli("watchlist", "import", str(bundle), "--home", host)
    assert result.code != 0 and "unsigned bundles are refused" in result.err
    assert cli("watchlist", "list", "--home", host).out == ""
    # The configured key signs exports and checks imports without --key-file.
    signed = tmp_path / "signed.json"
    assert cli("watchlist", "export", "op", str(signed)).code == 0
    assert json.loads(signed.read_text())["hmac_sha256"]
    result = cli("watchlist", "import", str(signed), "--home", host)
    assert result.code == 0, result.err


def test_configured_key_in_the_config_file(bundle: Path, tmp_path: Path, home: Path, cli) -> None:
    key = _key(tmp_path / "bundle.key")
    config = tmp_path / "lfr.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "{tmp_path / "host"}"\n[watchlists]\nbundle_key_file = "{key}"\n'
    )
    result = cli("watchlist", "import", str(bundle), "--config", str(config))
    assert result.code != 0 and "unsigned bundles are refused" in result.err


def test_the_audit_key_is_not_a_bundle_key(
    bundle: Path, tmp_path: Path, audit_key_file: Path, cli
) -> None:
    result = cli(
        "watchlist", "export", "op", str(tmp_path / "x.json"), "--key-file", str(audit_key_file)
    )
    assert result.code != 0 and "is the audit key" in result.err
    copied = _key(tmp_path / "copy.key", audit_key_file.read_bytes())
    result = cli("watchlist", "import", str(bundle), "--key-file", str(copied))
    assert result.code != 0 and "is the audit key" in result.err
    config = tmp_path / "lfr.toml"
    config.write_text(f'[watchlists]\nbundle_key_file = "{audit_key_file}"\n')
    result = cli("watchlist", "list", "--config", str(config))
    assert result.code != 0 and "watchlists.bundle_key_file" in result.err


def test_export_does_not_follow_a_planted_symlink(
    store: Store, bundle: Path, tmp_path: Path
) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    for name in ("op2.json.tmp", ".op2.json.tmp"):
        (tmp_path / name).symlink_to(victim)
    target = tmp_path / "op2.json"
    export_bundle(store, "op", target, actor="t")
    assert victim.read_text() == "precious"
    assert json.loads(target.read_text())["format"] == "lfr-watchlist-bundle"
    assert (target.stat().st_mode & 0o777) == 0o600
    leftovers = [
        p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp") and not p.is_symlink()
    ]
    assert leftovers == []


def _rewrap(path: Path, payload_text: str, **envelope: Any) -> Path:
    doc = {
        "format": "lfr-watchlist-bundle",
        "payload": payload_text,
        "sha256": hashlib.sha256(payload_text.encode("utf-8")).hexdigest(),
        "hmac_sha256": None,
        **envelope,
    }
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize(
    "payload, envelope, message",
    [
        ("[]", {}, "payload is not a table"),
        ('"text"', {}, "payload is not a table"),
        ('{"version": 1, "watchlist": [], "identities": []}', {}, "watchlist is not a table"),
        ("{}", {"sha256": "é" * 64}, "sha256 missing or malformed"),
        ("{}", {"sha256": 7}, "sha256 missing or malformed"),
        ("{}", {"hmac_sha256": "ü" * 64}, "hmac_sha256 is not a hex digest"),
    ],
)
def test_malformed_bundles_are_clear_errors(
    store: Store, tmp_path: Path, payload: str, envelope: dict, message: str
) -> None:
    path = _rewrap(tmp_path / "bad.json", payload, **envelope)
    with pytest.raises(BundleError, match=message):
        import_bundle(store, path, actor="t")
    assert store.watchlists.all() == []


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(value, dict):
        for k, v in value.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += _paths(v, (*prefix, i))
    return out


def _replace(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    doc = copy.deepcopy(doc)
    node = doc
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return doc


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_any_malformed_payload_is_a_clear_error(bundle: Path, data: st.DataObject) -> None:
    payload = json.loads(json.loads(bundle.read_text())["payload"])
    where = data.draw(st.sampled_from(_paths(payload)))
    mutated = _replace(payload, where, data.draw(_JSON))
    with tempfile.TemporaryDirectory() as scratch:
        path = _rewrap(Path(scratch) / "b.json", json.dumps(mutated))
        with Store.open(Path(scratch) / "host") as host:
            try:
                import_bundle(host, path, actor="t")
            except LfrError:
                assert host.watchlists.all() == []  # refused whole
