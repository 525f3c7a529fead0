"""Shared fixtures. The sample media is required: on CI (CI=true) a missing folder fails the
run instead of skipping tests silently."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lfr.paths import sample_data_dir


@pytest.fixture(scope="session")
def sample_data() -> Path:
    root = sample_data_dir()
    if root is None or not (root / "MANIFEST.tsv").is_file():
        message = "sample media not found: set LFR_SAMPLE_DATA (default ../shared/data)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return root
