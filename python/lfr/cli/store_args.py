"""What the governance commands share: opening the store, naming the actor, reading times.

The actor is recorded in every audit record: the account running the command (`$LFR_ACTOR`,
else the login name). There is no flag to name someone else: a verdict recorded for an
officer says so with `--by`, which is audited as `on_behalf_of` beside the actor.
"""

from __future__ import annotations

import argparse
import getpass
import os
import re
from datetime import UTC, datetime
from pathlib import Path

from lfr.config import Config, load_config
from lfr.errors import InputError
from lfr.store import Store

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*([smhdw])")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def add_common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--home", type=Path, default=None, help="data directory (default $LFR_HOME)"
    )
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help="the daemon's TOML config: its data_dir, [audit] key_file and [watchlists] "
        "bundle_key_file (default: $LFR_HOME, $LFR_AUDIT_KEY_FILE, $LFR_BUNDLE_KEY_FILE)",
    )


def settings(args: argparse.Namespace) -> Config:
    """The daemon's config when `--config` is given, else the defaults (from the
    environment): one place decides the data directory and the keys, for the daemon and the
    CLI alike."""
    return load_config(getattr(args, "config", None))


def open_store(args: argparse.Namespace) -> Store:
    cfg = settings(args)
    home = getattr(args, "home", None) or cfg.daemon.data_dir
    return Store.open(home, audit_key_file=cfg.audit.key_file)


def actor(args: argparse.Namespace) -> str:
    explicit = os.environ.get("LFR_ACTOR")
    if explicit:
        return str(explicit)
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


def parse_duration(text: str) -> float | None:
    """'90m', '8h', '3d', '2w', '1d12h' -> seconds; None if it is not a duration."""
    text = text.strip().lower()
    pos, total = 0, 0.0
    for match in _DURATION.finditer(text):
        if match.start() != pos:
            return None
        total += float(match.group(1)) * _UNIT_S[match.group(2)]
        pos = match.end()
    return total if pos == len(text) and pos > 0 else None


def parse_date(text: str) -> float:
    """ISO date or date-time; UTC when no zone is given."""
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InputError(
            f"{text!r} is neither a duration (e.g. 8h, 3d) nor an ISO date "
            "(e.g. 2026-12-01 or 2026-12-01T18:00)"
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.timestamp()


def parse_expiry(text: str, now: float) -> float:
    """--expires: a duration from now or an absolute date."""
    seconds = parse_duration(text)
    return now + seconds if seconds is not None else parse_date(text)


def parse_since(text: str, now: float) -> float:
    """--since: a duration ago or an absolute date."""
    seconds = parse_duration(text)
    return now - seconds if seconds is not None else parse_date(text)


def fmt_time(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%SZ")
