"""Fixtures for the pipeline tests: a data dir with a watchlist holding the sample person."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def lin_home(tmp_path_factory: pytest.TempPathFactory, sample_data: Path, analyzer) -> Path:
    """$LFR_HOME with watchlist `wl` = lin-manuel-miranda.png (the Hamilton clip's star)."""
    from lfr.store import Store
    from lfr.watchlist.enrol import enrol

    home = tmp_path_factory.mktemp("lin-home")
    with Store.open(home) as store:
        store.watchlists.create("wl", actor="test", purpose="pipeline tests")
        enrol(
            store,
            analyzer,
            "wl",
            "lin-manuel-miranda",
            [sample_data / "face_recognition/examples/lin-manuel-miranda.png"],
            actor="test",
            label="Lin-Manuel Miranda",
        )
    return home


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
