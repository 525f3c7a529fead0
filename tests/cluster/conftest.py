"""Fixtures for the cluster tests: a real nats-server, a bundle key, and site data dirs that
each hold watchlist `wl` (the Hamilton clip's star)."""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.nats_server import NatsServer, nats_missing


@pytest.fixture
def nats(tmp_path: Path) -> Iterator[NatsServer]:
    from support.skips import require_package

    require_package(nats_missing())
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def bundle_key(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The HMAC bundle key every site of a test holds ([watchlists] bundle_key_file)."""
    path = tmp_path_factory.mktemp("bundle-key") / "bundle.key"
    path.write_text(secrets.token_hex(32))
    path.chmod(0o600)
    return path


@pytest.fixture
def site_home(lin_home: Path, tmp_path: Path):
    """A fresh copy of `lin_home` per site: `site_home("van-3")`."""

    def make(name: str) -> Path:
        copy = tmp_path / name
        shutil.copytree(lin_home, copy)
        return copy

    return make
