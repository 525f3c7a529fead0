"""A real HTTP server on loopback for http(s):// camera tests: static files (an HLS playlist
and its segments) and an endless MJPEG stream (multipart/x-mixed-replace, as IP cameras serve
it) from JPEG files; `support.media` makes both.

    with HttpMedia(folder, jpegs) as server:
        server.url("hls/index.m3u8"); server.url("mjpeg")
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

BOUNDARY = "lfrframe"


class _Handler(SimpleHTTPRequestHandler):
    jpegs: ClassVar[list[bytes]] = []
    fps: float = 10.0

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") != "/mjpeg":
            super().do_GET()
            return
        self.send_response(200)
        self.send_header("Content-Type", f"multipart/x-mixed-replace;boundary={BOUNDARY}")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        try:
            for jpeg in itertools.cycle(self.jpegs):
                if getattr(self.server, "closing", False):
                    return
                self.wfile.write(
                    f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\n"
                    f"Content-Length: {len(jpeg)}\r\n\r\n".encode()
                )
                self.wfile.write(jpeg + b"\r\n")
                self.wfile.flush()
                time.sleep(1.0 / self.fps)
        except (BrokenPipeError, ConnectionResetError):
            return


class HttpMedia:
    def __init__(self, folder: Path, jpegs: list[Path], fps: float = 10.0) -> None:
        handler = type(
            "Handler", (_Handler,), {"jpegs": [p.read_bytes() for p in jpegs], "fps": fps}
        )
        self.server = ThreadingHTTPServer(
            ("127.0.0.1", 0), functools.partial(handler, directory=str(folder))
        )
        self.server.daemon_threads = True
        self._thread = threading.Thread(
            target=self.server.serve_forever, name="test-http-media", daemon=True
        )

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/{path}"

    def __enter__(self) -> HttpMedia:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.closing = True  # type: ignore[attr-defined]
        self.server.shutdown()
        self.server.server_close()
        self._thread.join(timeout=5)
