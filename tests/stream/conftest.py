"""Fixtures for camera-source tests: the sample clip and a real RTSP server serving it."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from support.rtsp import RtspServer, gstreamer_missing


@pytest.fixture(scope="session")
def hamilton_clip(sample_data: Path) -> Path:
    return sample_data / "face_recognition" / "examples" / "short_hamilton_clip.mp4"


@pytest.fixture(scope="session")
def _gstreamer() -> None:
    reason = gstreamer_missing()
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@pytest.fixture
def rtsp_server(_gstreamer: None, hamilton_clip: Path) -> Iterator[RtspServer]:
    """A real RTSP server on loopback looping the Hamilton clip; stopped after the test."""
    server = RtspServer(hamilton_clip)
    server.start()
    try:
        yield server
    finally:
        server.close()
