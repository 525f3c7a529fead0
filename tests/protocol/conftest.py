"""Fixtures for the socket tests: a real server on a real Unix socket (and loopback TCP with a
token). Helpers live in `proto_support` (a uniquely named module: every test folder has a
`conftest`, so tests must not import from one)."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import trio

sys.path.insert(0, os.path.dirname(__file__))

from proto_support import TOKEN, Served, start_server


@pytest.fixture
def short_dir() -> Iterator[Path]:
    """A short private directory: AF_UNIX paths are limited to 107 bytes."""
    path = Path(tempfile.mkdtemp(prefix="lfrp", dir="/tmp"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def token_file(short_dir: Path) -> Path:
    path = short_dir / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


@pytest.fixture
async def served(nursery: trio.Nursery, short_dir: Path, token_file: Path) -> AsyncIterator[Served]:
    """A server over a real store in `short_dir` (closed after the test)."""
    served = await start_server(nursery, short_dir, token_file=token_file)
    yield served
    served.cancel.cancel()
    served.api.store.close()
