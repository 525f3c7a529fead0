"""Start, stop, kill, freeze and thaw the real RTSP server (`gst_rtsp_server.py`) by PID.

    with RtspServer(clip) as server:      # waits for READY (transport="udp": UDP-only server)
        url = server.url                  # rtsp://127.0.0.1:PORT/cam
        server.kill()                     # SIGKILL: the camera vanishes mid-stream
        server.start()                    # same port again: the camera comes back
        server.freeze(); server.thaw()    # SIGSTOP / SIGCONT: a hung camera

The server runs under Debian's /usr/bin/python3, where GStreamer's bindings live; lfr's own
process never imports GStreamer. Used by the tests (tests/support/rtsp.py) and `lfr demo`.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import tempfile
import time
from pathlib import Path

SERVER_SCRIPT = Path(__file__).with_name("gst_rtsp_server.py")
SYSTEM_PYTHON = Path("/usr/bin/python3")


class RtspServerError(RuntimeError):
    pass


def gstreamer_missing() -> str | None:
    """Why the server cannot run here, or None when it can."""
    if not SYSTEM_PYTHON.is_file():
        return f"{SYSTEM_PYTHON} not found"
    probe = subprocess.run(
        [
            str(SYSTEM_PYTHON),
            "-c",
            "import gi; gi.require_version('GstRtspServer', '1.0'); "
            "from gi.repository import GstRtspServer",
        ],
        capture_output=True,
        timeout=30,
        check=False,
    )
    if probe.returncode != 0:
        return "GStreamer RTSP server bindings missing (python3-gi, gir1.2-gst-rtsp-server-1.0)"
    return None


class RtspServer:
    def __init__(
        self,
        clip: Path,
        *,
        port: int = 0,
        path: str = "/cam",
        width: int | None = None,
        transport: str = "any",
    ) -> None:
        if transport not in ("any", "tcp", "udp"):
            raise ValueError(f"transport must be 'any', 'tcp' or 'udp', got {transport!r}")
        self.clip = Path(clip)
        self.port = port
        self.path = path
        self.width = width
        self.transport = transport
        self.proc: subprocess.Popen[bytes] | None = None
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server; closed in stop()

    @property
    def url(self) -> str:
        if not self.port:
            raise RtspServerError("server not started yet")
        return f"rtsp://127.0.0.1:{self.port}{self.path}"

    @property
    def pid(self) -> int | None:
        return None if self.proc is None else self.proc.pid

    def start(self, timeout_s: float = 15.0) -> str:
        """Start the server (on the same port as before, if it ran already); wait for READY.
        A port still held by the old process's sockets is retried until the deadline."""
        if self.running():
            raise RtspServerError("already running")
        deadline = time.monotonic() + timeout_s
        while True:
            error = self._try_start(deadline)
            if error is None:
                return self.url
            if time.monotonic() >= deadline or "cannot listen" not in error:
                raise RtspServerError(error)
            time.sleep(0.2)

    def _try_start(self, deadline: float) -> str | None:
        cmd = [
            str(SYSTEM_PYTHON),
            str(SERVER_SCRIPT),
            str(self.clip),
            "--port",
            str(self.port),
            "--path",
            self.path,
            "--transport",
            self.transport,
        ]
        if self.width:
            cmd += ["--width", str(self.width)]
        self._stderr.seek(0)
        self._stderr.truncate()
        self.proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self._stderr
        )
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(self.proc.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
                    break
                line = self.proc.stdout.readline().decode(errors="replace").strip()
                if line.startswith("READY "):
                    self.port = int(line.rsplit(":", 1)[1].split("/", 1)[0])
                    return None
                if not line and self.proc.poll() is not None:
                    break
        self._reap(signal.SIGKILL)
        self._stderr.seek(0)
        err = self._stderr.read().decode(errors="replace").strip()
        return f"RTSP server did not become ready: {err or 'timeout'}"

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: the server vanishes without closing anything."""
        self._reap(signal.SIGKILL)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it lingers (SIGCONT first, in case it is frozen)."""
        if self.running():
            assert self.proc is not None
            os.kill(self.proc.pid, signal.SIGCONT)
        self._reap(signal.SIGTERM)

    def freeze(self) -> None:
        """SIGSTOP: connections stay open, but nothing more is sent."""
        self._signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def _signal(self, sig: signal.Signals) -> None:
        if not self.running():
            raise RtspServerError("server not running")
        assert self.proc is not None
        os.kill(self.proc.pid, sig)

    def _reap(self, sig: signal.Signals) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        if proc.poll() is None:
            proc.send_signal(sig)
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()

    def __enter__(self) -> RtspServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.stop()
        self._stderr.close()
