"""`lfr demo` (the README's main job) end to end: with the sample media, and on a bare machine
(the scene built from the pinned public-domain portrait)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from pipeline_helpers import json_lines


def _demo(env_extra: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **env_extra}
    return subprocess.run(
        [sys.executable, "-m", "lfr.cli.admin", "demo", "--json", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("transport", ["rtsp", "file"])
def test_demo_alerts_once_for_the_sample_person(sample_data, transport: str) -> None:
    if transport == "rtsp":
        from support.rtsp import gstreamer_missing
        from support.skips import require_package

        require_package(gstreamer_missing())
    proc = _demo(
        {"LFR_SAMPLE_DATA": str(sample_data)}, *(["--no-rtsp"] if transport == "file" else [])
    )
    assert proc.returncode == 0, proc.stderr
    alerts = json_lines(proc.stdout)
    assert [a["identity"] for a in alerts] == ["lin-manuel-miranda"], proc.stdout
    assert alerts[0]["latency_ms"] < 1000
    summary = json_lines(proc.stderr)[-1]
    assert summary["alerts"] == 1 and summary["frames_analysed"] > 100
    assert ("rtsp://127.0.0.1" in proc.stderr) == (transport == "rtsp")


def test_demo_on_a_bare_machine_builds_its_own_scene(tmp_path) -> None:
    proc = _demo({"LFR_SAMPLE_DATA": str(tmp_path / "no-such-folder")}, "--no-rtsp")
    assert proc.returncode == 0, proc.stderr
    assert "astronaut" in proc.stderr
    assert [a["identity"] for a in json_lines(proc.stdout)] == ["eileen-collins"]
