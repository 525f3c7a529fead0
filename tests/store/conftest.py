"""Fixtures for the governance store tests: a fresh store under tmp_path, the CLI run
in-process (`cli`) or as a real subprocess (`cli_proc`), and unit templates."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from store_helpers import cli_env

from lfr.cli.admin import main
from lfr.store import Store


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "home"
    monkeypatch.setenv("LFR_HOME", str(path))
    monkeypatch.setenv("LFR_ACTOR", "tester")
    return path


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    with Store.open(home) as s:
        yield s


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


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
