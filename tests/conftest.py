"""Shared fixtures. The sample media is required: on CI (CI=true) a missing folder fails the
run instead of skipping tests silently."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from lfr.paths import sample_data_dir


@pytest.fixture(scope="session", autouse=True)
def audit_key_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Every store the tests open (in-process or in a subprocess) seals its audit trail with
    a key of this session, never with the tester's own `~/.config/lfr/audit.key`."""
    path = tmp_path_factory.mktemp("audit-key") / "audit.key"
    before = os.environ.get("LFR_AUDIT_KEY_FILE")
    os.environ["LFR_AUDIT_KEY_FILE"] = str(path)
    yield path
    if before is None:
        os.environ.pop("LFR_AUDIT_KEY_FILE", None)
    else:
        os.environ["LFR_AUDIT_KEY_FILE"] = before


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


@pytest.fixture(scope="session")
def crowd_clip(sample_data: Path) -> Path:
    """105 frames of 1080p with many faces at once, none enrolled anywhere."""
    return sample_data / "facenet-pytorch" / "examples" / "video.mp4"


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


@pytest.fixture(scope="session")
def live_analyzer():
    """The models as the daemon loads them: detections down to the tracker's low score."""
    from lfr.inference import FaceAnalyzer
    from lfr.pipeline.engine import DETECTION_FLOOR

    return FaceAnalyzer.create(threads=2, score_threshold=DETECTION_FLOOR)


@pytest.fixture(scope="session")
def analyzer():  # -> lfr.inference.FaceAnalyzer
    """One FaceAnalyzer per test session. Models are fetched
    into the normal cache (`LFR_MODELS_DIR`, else the user cache) on first use and verified by
    sha256 on every load; 1 ORT thread each, since the test machine's cores are shared."""
    from lfr.inference import FaceAnalyzer

    return FaceAnalyzer.create(threads=1)


@dataclass
class CliResult:
    code: int
    out: str
    err: str


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh lfr data directory ($LFR_HOME) and a named actor for the audit trail."""
    path = tmp_path / "home"
    monkeypatch.setenv("LFR_HOME", str(path))
    monkeypatch.setenv("LFR_ACTOR", "tester")
    return path


@pytest.fixture
def cli(home: Path, capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """`lfr ...` run in-process against `home`: exit code, stdout, stderr."""
    from lfr.cli.admin import main

    def run(*argv: str) -> CliResult:
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


@pytest.fixture
def use_analyzer(analyzer: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """The CLI in-process reuses the session's models instead of loading them per call."""
    import lfr.inference

    monkeypatch.setattr(
        lfr.inference.FaceAnalyzer, "create", classmethod(lambda cls, **kw: analyzer)
    )
    return analyzer
