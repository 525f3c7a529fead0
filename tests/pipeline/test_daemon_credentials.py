"""Camera credentials never leave the daemon: a real `lfr-run` with cameras whose URLs carry a
password, then everything it emits (stdout, stderr as JSON logs, `cameras.list`, `status`,
`camera_state` events, `lfr status`, every file in its data dir: the database with the audit
trail and run records, alerts.jsonl) is searched for the password."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lfr.client import Client, Endpoint
from support.processes import wait_ready
from support.rtsp import RtspServer

SECRET = "s3cret"
LFR_RUN = [sys.executable, "-m", "lfr.cli.run"]
LFR = [sys.executable, "-m", "lfr.cli.admin"]


def _config(home: Path, rtsp_404: str, path: Path, *, only: str | None = None) -> Path:
    cameras = {
        # Nobody listens on port 1: "connection refused", retried in BACKOFF.
        "refused": f"rtsp://u:{SECRET}@127.0.0.1:1/x",
        # A real server, a wrong path: 404, FAILED (PyAV's error text holds the URL).
        "typo": rtsp_404,
        "ipcam": f"http://admin:{SECRET}@127.0.0.1:1/video.cgi?user=admin&pwd={SECRET}",
    }
    text = f'[daemon]\ndata_dir = "{home}"\n[logging]\njson = true\nlevel = "DEBUG"\n'
    for cid, url in cameras.items():
        if only not in (None, cid):
            continue
        text += f'[[cameras]]\nid = "{cid}"\nurl = "{url}"\nwatchlist = "wl"\n'
    path.write_text(text)
    return path


def test_camera_passwords_appear_nowhere(
    home: Path, tmp_path: Path, rtsp_server: RtspServer
) -> None:
    url_404 = rtsp_server.url.replace("rtsp://", f"rtsp://viewer:{SECRET}@").rsplit("/", 1)[0]
    url_404 += "/no-such-mount"
    config = _config(home, url_404, tmp_path / "lfr.toml", only="refused")
    proc = subprocess.Popen(
        [*LFR_RUN, "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )
    emitted: list[str] = []
    try:
        emitted += wait_ready(proc)
        sock = home / "lfr.sock"
        with Client.connect(Endpoint(unix=sock)) as client:
            client.subscribe(["camera_state"])
            # Subscribed: add the other cameras (SIGHUP), so that their first states, with
            # their errors, are published to us.
            _config(home, url_404, config)
            proc.send_signal(signal.SIGHUP)
            events = []
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                event = client.next_event(timeout=0.5)
                if event is not None:
                    events.append(event)
                cameras = {c["id"]: c for c in client.cameras_list()}
                failed = {e.data["camera"] for e in events if e.data.get("error")}
                if failed >= {"typo", "ipcam"} and cameras["typo"]["state"] == "FAILED":
                    break
            status = client.status()
        emitted += [json.dumps(cameras), json.dumps(status), repr(events)]
        # Every camera did fail, with its error shown (else the test proves nothing).
        assert cameras["typo"]["state"] == "FAILED"
        assert "not found" in str(cameras["typo"]["last_error"]).lower()
        assert "refused" in str(cameras["refused"]["last_error"]).lower()
        assert cameras["ipcam"]["last_error"]
        assert {"typo", "ipcam"} <= {e.data["camera"] for e in events if e.data.get("error")}
        # The URL is shown, without its credentials.
        assert cameras["refused"]["url"] == "rtsp://***@127.0.0.1:1/x"
        assert cameras["ipcam"]["url"].endswith("/video.cgi?user=admin&pwd=***")
        for args in (["status"], ["status", "--json"]):
            shown = subprocess.run(
                [*LFR, *args, "--socket", str(sock)],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            )
            emitted += [shown.stdout, shown.stderr]
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=15)
        emitted += [out, err]
        assert proc.returncode == 0, err
    finally:
        if proc.poll() is None:
            proc.kill()
    logs = "".join(emitted)
    assert '"camera refused' in logs or "camera refused" in logs  # the cameras were logged
    assert SECRET not in logs
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "alerts.jsonl" for p in files) or files
    leaked = [p.name for p in files if SECRET.encode() in p.read_bytes()]
    assert leaked == []
