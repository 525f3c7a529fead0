"""Shared fixtures. The sample media is required: on CI (CI=true) a missing folder fails the
run instead of skipping tests silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfr.paths import sample_data_dir


@pytest.fixture(scope="session")
def sample_data() -> Path:
    from support.skips import require

    root = sample_data_dir()
    if root is None or not (root / "MANIFEST.tsv").is_file():
        require("sample media not found: set LFR_SAMPLE_DATA (default ../shared/data)")
    assert root is not None
    return root


@pytest.fixture(scope="session")
def hamilton_clip(sample_data: Path) -> Path:
    return sample_data / "face_recognition" / "examples" / "short_hamilton_clip.mp4"


@pytest.fixture
def rtsp_server(hamilton_clip: Path):
    """A real RTSP server on loopback (GStreamer) looping the Hamilton clip; stopped after."""
    from support.rtsp import RtspServer, gstreamer_missing
    from support.skips import require_package

    require_package(gstreamer_missing())
    server = RtspServer(hamilton_clip)
    server.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def analyzer():  # -> lfr.inference.FaceAnalyzer
    """One FaceAnalyzer per test session (owned by the inference engineer). Models are fetched
    into the normal cache (`LFR_MODELS_DIR`, else the user cache) on first use and verified by
    sha256 on every load; 1 ORT thread each, since the test machine's cores are shared."""
    from lfr.inference import FaceAnalyzer

    return FaceAnalyzer.create(threads=1)
