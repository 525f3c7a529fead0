"""A real `nats-server` with JetStream on loopback for the cluster tests and bench: a free
port, its own storage directory, and stop/kill/start so a test can take it away and bring it
back (same port, same storage, as a restarted server would be)."""

from __future__ import annotations

import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path


def nats_missing() -> str | None:
    """Why the cluster tests cannot run here, or None."""
    if shutil.which("nats-server") is None and not Path("/usr/sbin/nats-server").exists():
        return "nats-server is not installed (Debian package nats-server)"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NatsServer:
    def __init__(self, store_dir: Path, port: int | None = None) -> None:
        self.store_dir = store_dir
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = store_dir.parent / f"nats-{self.port}.log"

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    @property
    def jetstream_dir(self) -> Path:
        return self.store_dir / "jetstream"

    def start(self, timeout: float = 10.0) -> None:
        binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
        self.store_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [
                    binary,
                    "-js",
                    "-sd",
                    str(self.store_dir),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    str(self.port),
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"nats-server did not listen on {self.port}: {self.log.read_text()}")

    def kill(self) -> None:
        """SIGKILL: the server dies as in a crash, nothing flushed on purpose."""
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
            self.proc = None


def files_holding(root: Path, fragment: bytes) -> list[str]:
    """Every file under `root` whose bytes contain `fragment`."""
    return [str(p) for p in sorted(root.rglob("*")) if p.is_file() and fragment in p.read_bytes()]
