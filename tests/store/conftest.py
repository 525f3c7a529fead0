"""Fixtures for the governance store tests: a fresh store under tmp_path and the CLI as a real
subprocess (`cli_proc`); `home`, `cli` (in-process) and `use_analyzer` are in tests/conftest.py."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from store_helpers import cli_env

from lfr.store import Store


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    with Store.open(home) as s:
        yield s


@pytest.fixture
def cli_proc(home: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    def run(*argv: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lfr.cli.admin", *argv],
            env=cli_env(home),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    return run
