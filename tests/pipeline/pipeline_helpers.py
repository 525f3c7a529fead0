"""Helpers for the pipeline and daemon tests: run the CLI, read its JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

LFR = [sys.executable, "-m", "lfr.cli.admin"]


def run_lfr(args: list[str], home: Path, timeout: float = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "LFR_HOME": str(home)}
    return subprocess.run(
        [*LFR, *args], capture_output=True, text=True, env=env, timeout=timeout, check=False
    )


def json_lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]
