"""`lfr-run`'s configuration: a TOML file validated strictly into frozen dataclasses.

    cfg = load_config(Path("lfr.toml"), overrides={"daemon": {"data_dir": "/tmp/x"}})

Relative paths in the file (data_dir, models.dir, a camera's file or folder) are relative to
the file's folder, so a config means the same thing whatever the working directory; the socket
and token file are relative to data_dir. `cfg.digest()` is the stable hash the audit records.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lfr.config.cluster import ClusterConfig
from lfr.config.console import ConsoleConfig
from lfr.config.metrics import MetricsConfig
from lfr.config.schema import (
    AuditConfig,
    CameraConfig,
    Config,
    DaemonConfig,
    LoggingConfig,
    ModelsConfig,
    RetentionConfig,
    TrackerConfig,
    WatchlistsConfig,
)
from lfr.config.sockets import SocketConfig, parse_host_port
from lfr.config.validate import build
from lfr.errors import ConfigError

log = logging.getLogger(__name__)

# Keys of the sections `[tracker]` replaced, and their new names there.
DEPRECATED_KEYS: dict[str, dict[str, str]] = {
    "matching": {"threshold": "threshold", "min_hits": "min_templates", "cooldown_s": "cooldown_s"},
    "tracking": {k: k for k in ("max_age_s", "n_init", "iou_threshold", "reembed_interval_s")},
}

__all__ = [
    "AuditConfig",
    "CameraConfig",
    "ClusterConfig",
    "Config",
    "ConfigError",
    "ConsoleConfig",
    "DaemonConfig",
    "LoggingConfig",
    "MetricsConfig",
    "ModelsConfig",
    "RetentionConfig",
    "SocketConfig",
    "TrackerConfig",
    "WatchlistsConfig",
    "load_config",
    "parse_config",
    "parse_host_port",
]


def load_config(path: Path | None, overrides: Mapping[str, Any] | None = None) -> Config:
    """Read and validate `path` (None: defaults only), with `overrides` applied on top.

    `overrides` is a nested mapping like the TOML (`{"daemon": {"data_dir": ...}}`) or flat
    dotted keys (`{"daemon.data_dir": ...}`); a `cameras` override replaces the whole list.
    """
    data: dict[str, Any] = {}
    base_dir: Path | None = None
    if path is not None:
        path = Path(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from None
        try:
            data = tomllib.loads(raw.decode("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from None
        base_dir = path.resolve().parent
    if overrides:
        data = _merge(data, _nest(overrides))
    return parse_config(data, base_dir=base_dir)


def parse_config(data: Mapping[str, Any], *, base_dir: Path | None = None) -> Config:
    """Validate an already-parsed mapping (what tomllib returns)."""
    data = _fold_deprecated(dict(data))
    cameras = data.get("cameras")
    if base_dir is not None and isinstance(cameras, list):
        data["cameras"] = [_anchor_url(c, base_dir) for c in cameras]
    cfg = build(Config, data, "", base_dir)
    return cfg


def _fold_deprecated(data: dict[str, Any]) -> dict[str, Any]:
    """Move `[matching]` and `[tracking]` keys to `[tracker]`, warning with the new name."""
    for section, renames in DEPRECATED_KEYS.items():
        if section not in data:
            continue
        table = data.pop(section)
        if not isinstance(table, Mapping):
            raise ConfigError(
                f"{section}: expected a table ([{section}] is deprecated: use [tracker])"
            )
        tracker = data.get("tracker", {})
        if not isinstance(tracker, Mapping):
            continue  # the validator names the broken [tracker]
        tracker = dict(tracker)
        for key, value in table.items():
            new = renames.get(key)
            if new is None:
                raise ConfigError(
                    f"{section}.{key}: unknown key ([{section}] is deprecated; its keys "
                    f"moved to [tracker]: {', '.join(renames.values())})"
                )
            if new in tracker:
                raise ConfigError(f"{section}.{key}: also set as tracker.{new}; keep only that")
            log.warning("config: %s.%s is deprecated, use tracker.%s", section, key, new)
            tracker[new] = value
        data["tracker"] = tracker
    return data


def _anchor_url(camera: Any, base_dir: Path) -> Any:
    """A relative file path in a camera's url is relative to the config file's folder."""
    if not isinstance(camera, Mapping):
        return camera
    url = camera.get("url")
    if isinstance(url, str) and url and "://" not in url and not url.startswith("/"):
        return {**camera, "url": str(base_dir / Path(url).expanduser())}
    return camera


def _nest(overrides: Mapping[str, Any]) -> dict[str, Any]:
    nested: dict[str, Any] = {}
    for key, value in overrides.items():
        parts = key.split(".")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"override {key}: conflicts with another override")
        leaf = parts[-1]
        if isinstance(value, Mapping) and isinstance(node.get(leaf), dict):
            node[leaf] = _merge(node[leaf], _nest(value))
        else:
            node[leaf] = _nest(value) if isinstance(value, Mapping) else value
    return nested


def _merge(base: Mapping[str, Any], top: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged
