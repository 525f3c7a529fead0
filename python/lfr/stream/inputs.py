"""What kind of input a camera URL names, and how FFmpeg should open it.

Kept free of PyAV imports so that `lfr.config` can validate a URL without loading FFmpeg.
The open options are the measured fast-start set: no stream analysis, a small probe and no
input buffering, so a live camera yields its first frame within a GOP of connecting.

A camera URL may carry credentials (`rtsp://user:password@host/...`). Only `av.open` sees the
real URL; every text lfr shows (errors, logs, events, replies) goes through `redact`, so the
password cannot reach a log file, a socket client or a terminal.
"""

from __future__ import annotations

import enum
import re
from pathlib import Path
from urllib.parse import urlsplit

_DEVICE = re.compile(r"^/dev/video\d+$")
# The user:password of any URL in a text: everything between "scheme://" and the last "@"
# before the host (a password with an unencoded "@" included), stopping at a path or a quote.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)[^/\s'\"<>]*@")
# Cameras that take the password in the query instead (`/video.cgi?user=admin&pwd=...`).
_SECRET_PARAM = re.compile(
    r"(?P<key>[?&;](?:password|passwd|pass|pwd|token|auth|key|secret)=)[^&;#\s'\"<>]*",
    re.IGNORECASE,
)
HIDDEN = "***"
RTSP_TRANSPORTS = ("auto", "tcp", "udp")
_FOLDER_EXTS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")


class InputKind(enum.Enum):
    RTSP = "rtsp"
    HTTP = "http"  # MJPEG over HTTP, HLS, or any FFmpeg-readable HTTP(S) stream
    FILE = "file"
    FOLDER = "folder"  # a folder of still images, in name order
    DEVICE = "device"  # a V4L2 device, /dev/videoN

    @property
    def live(self) -> bool:
        """Live inputs never wait for the analysis: their newest frame replaces an older one."""
        return self in (InputKind.RTSP, InputKind.HTTP, InputKind.DEVICE)


def redact(text: str) -> str:
    """`text` with the user:password of every URL in it replaced by `***`
    (`rtsp://***@10.0.0.5/stream1`), and the value of password-like query parameters
    (`?pwd=***`): what lfr shows of a camera URL, or of an error about one."""
    text = _USERINFO.sub(rf"\g<scheme>{HIDDEN}@", text)
    return _SECRET_PARAM.sub(rf"\g<key>{HIDDEN}", text)


def classify(url: str) -> InputKind:
    """The kind of `url`; ValueError (with the reason, the URL shown redacted) for what lfr
    cannot read."""
    if not isinstance(url, str) or not url.strip():
        raise ValueError("must be a non-empty URL or path")
    if "://" in url:
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme in ("rtsp", "rtsps"):
            kind = InputKind.RTSP
        elif scheme in ("http", "https"):
            kind = InputKind.HTTP
        elif scheme == "file":
            return _path_kind(parts.path)
        else:
            raise ValueError(
                f"unsupported scheme {scheme!r} (use rtsp://, http(s)://, a "
                "file path or /dev/videoN)"
            )
        if not parts.hostname:
            raise ValueError(f"no host in {redact(url)!r}")
        try:
            parts.port  # noqa: B018 - validates the port number
        except ValueError:
            raise ValueError(f"bad port in {redact(url)!r}") from None
        return kind
    if url.startswith("/dev/"):
        if not _DEVICE.match(url):
            raise ValueError(f"device must be /dev/videoN, got {url!r}")
        return InputKind.DEVICE
    return _path_kind(url)


def _path_kind(path: str) -> InputKind:
    return InputKind.FOLDER if Path(path).is_dir() else InputKind.FILE


def local_path(url: str) -> Path:
    """The filesystem path of a FILE or FOLDER url (`file://` stripped)."""
    return Path(urlsplit(url).path) if url.startswith("file://") else Path(url)


def folder_images(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in _FOLDER_EXTS)


def open_options(
    kind: InputKind,
    *,
    open_timeout_s: float,
    read_timeout_s: float,
    rtsp_transport: str = "auto",
) -> tuple[dict[str, str], str | None, tuple[float, float] | None]:
    """(FFmpeg options, format, timeout) for `av.open` on a kind of input. Live inputs get a
    timeout: without one a frozen server blocks the read forever. RTSP asks for one RTP
    transport at a time ("auto" asks for TCP first; `lfr.stream.transport` falls back)."""
    options: dict[str, str] = {}
    if kind is InputKind.RTSP:
        options.update(
            rtsp_transport="udp" if rtsp_transport == "udp" else "tcp",
            analyzeduration="0",
            probesize="32768",
            fflags="nobuffer",
        )
    elif kind is InputKind.HTTP:
        options.update(analyzeduration="0", probesize="65536", fflags="nobuffer", reconnect="0")
    fmt = "v4l2" if kind is InputKind.DEVICE else None
    timeout = (open_timeout_s, read_timeout_s) if kind.live else None
    return options, fmt, timeout
