"""`lfr demo --keep`: the demo serves the console, prints its URL and a one-time officer's
login, and keeps both up after the clip until Ctrl-C; the printed login works and the page
has the demo's alert."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from support.processes import read_until

BANNER = re.compile(r"console (http://127\.0\.0\.1:\d+)/  log in as (\S+) / (\S+)")


def test_demo_keep_serves_the_alert_to_the_printed_login(sample_data: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "lfr.cli.admin", "demo", "--no-rtsp", "--keep"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LFR_SAMPLE_DATA": str(sample_data)},
    )
    try:
        lines = read_until(proc, lambda line: "kept up" in line, 180)
        found = next((m for m in map(BANNER.search, lines) if m), None)
        assert found and lines and "kept up" in lines[-1], "".join(lines)
        url, name, password = found.groups()
        with httpx.Client(base_url=url, timeout=10) as client:
            form = client.get("/login").text
            token = re.search(r'name="csrf_token" value="([^"]+)"', form)
            assert token
            done = client.post(
                "/login", data={"name": name, "password": password, "csrf_token": token[1]}
            )
            assert done.status_code == 303
            live = client.get("/api/live").json()
        assert "lin-manuel-miranda" in [a["identity"] for a in live["alerts"]]
        assert proc.poll() is None  # still up after the clip
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
