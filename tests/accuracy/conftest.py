"""Fixtures for the accuracy tests: `identify`, `lfr eval identify` in-process as JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def identify(cli, sample_data: Path, use_analyzer: Any) -> Callable[..., dict[str, Any]]:
    def run(gallery: Path, probes: Path, *extra: str) -> dict[str, Any]:
        result = cli(
            "eval",
            "identify",
            str(gallery),
            str(probes),
            "--root",
            str(sample_data),
            *extra,
            "--json",
        )
        assert result.code == 0, result.err
        return dict(json.loads(result.out))

    return run
