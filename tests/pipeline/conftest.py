"""Fixtures for the pipeline tests: a private copy of the data dir whose watchlist holds the
sample person (`lin_home`, shared with the console tests in tests/conftest.py)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def home(lin_home: Path, tmp_path: Path) -> Path:
    """A private copy of `lin_home` for one test."""
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(lin_home, copy)
    return copy


@pytest.fixture(scope="session")
def live_analyzer():
    """The models as the daemon loads them: detections down to the tracker's low score."""
    from lfr.inference import FaceAnalyzer
    from lfr.pipeline.engine import DETECTION_FLOOR

    return FaceAnalyzer.create(score_threshold=DETECTION_FLOOR)
