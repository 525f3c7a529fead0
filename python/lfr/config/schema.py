"""The settings `lfr-run` reads, as frozen dataclasses: one class per TOML section.

Each class lists its keys with their types and defaults; `lfr.config.validate` reads those
annotations to reject unknown or mistyped keys, so adding a setting means adding one field
here (and, when it has a range or a format, one line in `check`). `check` returns the
offending key and why, and the validator prefixes the section's path, so every error names the
exact key an operator must fix (`cameras[1].fps`).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

from lfr.config.cluster import ClusterConfig
from lfr.config.console import ConsoleConfig
from lfr.config.metrics import MetricsConfig
from lfr.config.problem import Problem
from lfr.config.sockets import SocketConfig
from lfr.errors import ConfigError
from lfr.paths import audit_key_file, bundle_key_file, is_within

_CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


@dataclass(frozen=True, slots=True)
class DaemonConfig:
    data_dir: Path = field(default_factory=lambda: _default_home())  # noqa: PLW0108 - defined below

    def check(self) -> None:
        if str(self.data_dir) == "":
            raise Problem("data_dir", "must not be empty")


@dataclass(frozen=True, slots=True)
class TrackerConfig:
    """[tracker]: how each camera's tracker follows faces and decides alerts.

    `threshold` overrides every watchlist's own match threshold (None: the watchlist's, which
    follows its size; an override is warned about with its expected false-alert rate). Every other key is a setting of the Rust tracker, by the name and
    with the default `lfr._native.Tracker.defaults()` lists; they are collected in `settings`,
    and the tracker itself checks them, so each setting's range is defined once."""

    OPEN_KEYS_FIELD: ClassVar[str] = "settings"

    threshold: float | None = None
    settings: dict[str, float] = field(default_factory=dict)

    @staticmethod
    def open_keys() -> dict[str, type]:
        """The tracker's setting names with their types (int or float)."""
        from lfr._native import Tracker

        return {name: type(value) for name, value in Tracker.defaults().items()}

    def check(self) -> None:
        from lfr._native import Tracker

        if self.threshold is not None and not -1.0 < self.threshold < 1.0:
            raise Problem("threshold", f"must be a cosine score in (-1, 1), got {self.threshold}")
        try:
            Tracker(**self.settings)
        except (TypeError, ValueError) as exc:  # the tracker's message names the key
            raise ConfigError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class CameraConfig:
    id: str
    url: str  # rtsp://, http(s)://, a file, a folder of images, /dev/videoN
    watchlist: str
    fps: float | None = None  # analysis rate cap; None: as fast as the analysis goes
    loop: bool = False  # files only: play again at the end, paced in real time
    realtime: bool = True  # files only: paced at their own rate, newest frame wins (live)
    open_timeout_s: float = 3.0  # connecting to a live input
    read_timeout_s: float = 1.5  # no data for this long: stalled, then reconnect
    rtsp_transport: str = "auto"  # RTP over "tcp", "udp", or "auto": TCP, UDP if refused

    def check(self) -> None:
        # local: config must not pull in av
        from lfr.stream.inputs import RTSP_TRANSPORTS, InputKind, classify

        if not _CAMERA_ID.match(self.id):
            raise Problem("id", f"must be 1-64 letters, digits, '.', '_' or '-', got {self.id!r}")
        if not self.watchlist:
            raise Problem("watchlist", "must not be empty")
        if self.fps is not None and not self.fps > 0:
            raise Problem("fps", f"must be > 0, got {self.fps}")
        for key in ("open_timeout_s", "read_timeout_s"):
            if not getattr(self, key) > 0:
                raise Problem(key, f"must be > 0, got {getattr(self, key)}")
        try:
            kind = classify(self.url)
        except ValueError as exc:
            raise Problem("url", str(exc)) from None
        if kind in (InputKind.FILE, InputKind.FOLDER) and not Path(self.url).exists():
            raise Problem("url", f"no such file or folder: {self.url}")
        if self.loop and kind not in (InputKind.FILE, InputKind.FOLDER):
            raise Problem("loop", f"applies to files only, not to a {kind.value} source")
        if not self.realtime and kind not in (InputKind.FILE, InputKind.FOLDER):
            raise Problem(
                "realtime", f"applies to files only; a {kind.value} source is always live"
            )
        if self.rtsp_transport not in RTSP_TRANSPORTS:
            choices = ", ".join(f'"{t}"' for t in RTSP_TRANSPORTS)
            raise Problem(
                "rtsp_transport", f"must be one of {choices}, got {self.rtsp_transport!r}"
            )
        if self.rtsp_transport != "auto" and kind is not InputKind.RTSP:
            raise Problem(
                "rtsp_transport", f"applies to rtsp:// cameras only, not to a {kind.value} source"
            )


@dataclass(frozen=True, slots=True)
class ModelsConfig:
    dir: Path | None = None  # None: lfr.paths.models_dir() ($LFR_MODELS_DIR)
    threads: int | None = None  # ONNX Runtime intra-op threads per session; None: 1
    providers: list[str] | None = None
    det_size: int = 640
    # A camera detects on its whole frame every this many analysed frames, and only around
    # the faces of the frame before in between (lfr.inference.regions); 1: always the whole.
    full_frame_every: int = 2

    def check(self) -> None:
        if not 1 <= self.full_frame_every <= 100:
            raise Problem("full_frame_every", f"must be in 1..100, got {self.full_frame_every}")
        if self.threads is not None and not 1 <= self.threads <= 256:
            raise Problem("threads", f"must be in 1..256, got {self.threads}")
        if self.providers is not None and not self.providers:
            raise Problem("providers", "must not be an empty list (omit it for the default)")
        if not (64 <= self.det_size <= 4096 and self.det_size % 32 == 0):
            raise Problem("det_size", f"must be a multiple of 32 in 64..4096, got {self.det_size}")


@dataclass(frozen=True, slots=True)
class RetentionConfig:
    alerts_days: int = 31

    def check(self) -> None:
        if self.alerts_days < 1:
            raise Problem("alerts_days", f"must be at least 1, got {self.alerts_days}")


@dataclass(frozen=True, slots=True)
class AuditConfig:
    """The key that seals the audit trail: outside the data directory, so that whoever can
    write the database cannot also re-seal it."""

    key_file: Path = field(default_factory=audit_key_file)


@dataclass(frozen=True, slots=True)
class WatchlistsConfig:
    """A bundle key configured once: every import then demands a bundle signed with it."""

    bundle_key_file: Path | None = field(default_factory=bundle_key_file)


@dataclass(frozen=True, slots=True)
class LoggingConfig:
    json: bool = False
    level: str = "INFO"

    def check(self) -> None:
        if self.level.upper() not in _LOG_LEVELS:
            raise Problem("level", f"must be one of {', '.join(_LOG_LEVELS)}, got {self.level!r}")


@dataclass(frozen=True, slots=True)
class Config:
    daemon: DaemonConfig = field(default_factory=DaemonConfig)
    tracker: TrackerConfig = field(default_factory=TrackerConfig)
    socket: SocketConfig = field(default_factory=SocketConfig)
    cameras: list[CameraConfig] = field(default_factory=list)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    logging: LoggingConfig = field(default_factory=LoggingConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    watchlists: WatchlistsConfig = field(default_factory=WatchlistsConfig)
    cluster: ClusterConfig = field(default_factory=ClusterConfig)
    console: ConsoleConfig | None = None  # the section turns the operator console on
    metrics: MetricsConfig | None = None  # the section turns the Prometheus endpoint on

    def check(self) -> None:
        if is_within(self.audit.key_file.parent, self.daemon.data_dir):
            raise Problem(
                "audit.key_file",
                f"must be outside daemon.data_dir ({self.daemon.data_dir}): whoever can write "
                "the database must not also hold the key that seals its audit trail",
            )
        bundle_key = self.watchlists.bundle_key_file
        if bundle_key is not None and bundle_key.resolve() == self.audit.key_file.resolve():
            raise Problem(
                "watchlists.bundle_key_file", "must not be the audit key: use a key of its own"
            )
        seen: dict[str, int] = {}
        for i, cam in enumerate(self.cameras):
            if cam.id in seen:
                raise Problem(
                    f"cameras[{i}].id",
                    f"duplicate camera id {cam.id!r} (also cameras[{seen[cam.id]}].id)",
                )
            seen[cam.id] = i
        if self.cluster.role == "hub" and self.cameras:
            raise Problem("cameras", 'a hub ([cluster] role = "hub") has no cameras')

    def camera(self, camera_id: str) -> CameraConfig:
        for cam in self.cameras:
            if cam.id == camera_id:
                return cam
        raise KeyError(camera_id)

    def digest(self) -> str:
        """A stable hash of the effective settings, recorded in the audit log and each run:
        the same settings give the same hash whatever the key order or the file's comments."""
        canonical = json.dumps(asdict(self), sort_keys=True, default=str, separators=(",", ":"))
        return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _default_home() -> Path:
    from lfr.paths import home_dir

    return home_dir()
