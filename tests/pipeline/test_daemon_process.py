"""`lfr-run` as an operator runs it: a process, a TOML file, signals, clear config errors."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lfr.client import Client, Endpoint
from support.processes import wait_ready

LFR_RUN = [sys.executable, "-m", "lfr.cli.run"]


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def _start(config: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*LFR_RUN, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _camera_ids(sock: Path) -> list[str]:
    with Client.connect(Endpoint(unix=sock)) as client:
        return sorted(c["id"] for c in client.cameras_list())


def test_sighup_adds_a_camera_and_sigterm_stops_cleanly(
    home: Path, hamilton_clip: Path, tmp_path: Path
) -> None:
    base = f'[daemon]\ndata_dir = "{home}"\n'
    cam = '[[cameras]]\nid = "{id}"\nurl = "{url}"\nwatchlist = "wl"\nloop = true\nfps = 2\n'
    config = _write(tmp_path / "lfr.toml", base + cam.format(id="one", url=hamilton_clip))
    proc = _start(config)
    try:
        lines = wait_ready(proc)
        assert any(str(home.resolve()) in line for line in lines)  # prints its data dir
        sock = home / "lfr.sock"
        assert sock.exists() and (sock.stat().st_mode & 0o777) == 0o600
        assert _camera_ids(sock) == ["one"]
        _write(
            config,
            base
            + cam.format(id="one", url=hamilton_clip)
            + cam.format(id="two", url=hamilton_clip),
        )
        proc.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        while _camera_ids(sock) != ["one", "two"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _camera_ids(sock) == ["one", "two"]
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=10)
        assert time.monotonic() - t0 < 5.0
        assert code == 0, proc.stderr.read() if proc.stderr else ""
        assert not sock.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
    # The run was audited with the config hash and closed.
    from lfr.store import Store

    with Store.open(home) as store:
        store_records = store.audit.records()
        actions = [r.action for r in store_records]
    assert "daemon.start" in actions and "daemon.stop" in actions
    # The SIGHUP reload is on the record: the new config hash and what changed.
    (reload,) = [r for r in store_records if r.action == "config.reload"]
    assert reload.details["cameras"]["added"] == ["two"]
    assert reload.details["config_hash"] != reload.details["previous"]
    assert "watchlist.reload" in actions


@pytest.mark.parametrize(
    "body, key",
    [
        ("[daemon]\nbogus = 1\n", "daemon.bogus"),
        ('[tracker]\nthreshold = "high"\n', "tracker.threshold"),
        ("[tracker]\niou_threshold = 0\n", "tracker.iou_threshold: must be within (0, 1]"),
        ('[[cameras]]\nid = "c"\nwatchlist = "wl"\n', "cameras[0].url"),
        (
            '[[cameras]]\nid = "c"\nurl = "rtsp://127.0.0.1:9/x"\nwatchlist = "wl"\nfps = -1\n',
            "cameras[0].fps",
        ),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, body: str, key: str) -> None:
    config = _write(tmp_path / "bad.toml", body)
    proc = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [*LFR_RUN, "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert key in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_watchlist_refuses_to_start(home: Path, tmp_path: Path) -> None:
    config = _write(
        tmp_path / "lfr.toml",
        f'[daemon]\ndata_dir = "{home}"\n[[cameras]]\nid = "c"\n'
        'url = "rtsp://127.0.0.1:9/x"\nwatchlist = "nobody"\n',
    )
    proc = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [*LFR_RUN, "--config", str(config)], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 2
    assert "cameras[0].watchlist" in proc.stderr and "nobody" in proc.stderr


def test_unreachable_camera_starts_and_retries(home: Path, tmp_path: Path) -> None:
    config = _write(
        tmp_path / "lfr.toml",
        f'[daemon]\ndata_dir = "{home}"\n[[cameras]]\nid = "dead"\n'
        'url = "rtsp://127.0.0.1:9/nothing"\nwatchlist = "wl"\n',
    )
    proc = _start(config)
    try:
        wait_ready(proc)
        time.sleep(3)
        with Client.connect(Endpoint(unix=home / "lfr.sock")) as client:
            (camera,) = client.cameras_list()
        assert camera["state"] in ("BACKOFF", "CONNECTING", "FAILED")
        assert camera["last_error"]
        assert proc.poll() is None  # still running, retrying
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()


def test_a_damaged_model_stops_the_start_with_a_clear_error(
    home: Path, hamilton_clip: Path, tmp_path: Path
) -> None:
    from lfr.assets import ensure_models

    models = ensure_models()
    cache = tmp_path / "models"
    cache.mkdir()
    for role, spec in models.manifest.models.items():
        (cache / spec.file).write_bytes(models.read(role))
    detector = cache / models.manifest.models["detector"].file
    damaged = bytearray(detector.read_bytes())
    damaged[1000] ^= 0xFF
    detector.write_bytes(bytes(damaged))
    config = _write(
        tmp_path / "lfr.toml",
        f'[daemon]\ndata_dir = "{home}"\n[models]\ndir = "{cache}"\n'
        f'[[cameras]]\nid = "c"\nurl = "{hamilton_clip}"\nwatchlist = "wl"\n',
    )
    proc = subprocess.run(  # noqa: PLW1510 - the exit code is asserted
        [*LFR_RUN, "--config", str(config)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode != 0
    assert detector.name in proc.stderr and "sha256" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert detector.read_bytes() == bytes(damaged)  # never silently replaced
