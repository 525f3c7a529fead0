"""Where lfr reads and writes, each overridable by an environment variable.

Resolved on call, never at import, so tests and operators can point them elsewhere.
"""

from __future__ import annotations

import os
from pathlib import Path

_REPO_ROOT = Path(__file__).resolve().parents[2]


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    return Path(value) if value else Path.home() / fallback


def home_dir() -> Path:
    """The data directory (database, alerts, socket): `$LFR_HOME`, else `$XDG_DATA_HOME/lfr`."""
    value = os.environ.get("LFR_HOME")
    return Path(value) if value else _xdg("XDG_DATA_HOME", ".local/share") / "lfr"


def models_dir() -> Path:
    """The model cache: `$LFR_MODELS_DIR`, else `$XDG_CACHE_HOME/lfr/models`."""
    value = os.environ.get("LFR_MODELS_DIR")
    return Path(value) if value else _xdg("XDG_CACHE_HOME", ".cache") / "lfr" / "models"


def audit_key_file() -> Path:
    """The key that seals the audit trail: `$LFR_AUDIT_KEY_FILE`, else
    `$XDG_CONFIG_HOME/lfr/audit.key`. Outside the data directory on purpose: whoever can
    write the database must not also hold the key that would let them re-seal it."""
    value = os.environ.get("LFR_AUDIT_KEY_FILE")
    return Path(value) if value else _xdg("XDG_CONFIG_HOME", ".config") / "lfr" / "audit.key"


def bundle_key_file() -> Path | None:
    """The key watchlist bundles are signed and checked with: `$LFR_BUNDLE_KEY_FILE`, else
    none (a key configured once makes every import demand a signature)."""
    value = os.environ.get("LFR_BUNDLE_KEY_FILE")
    return Path(value) if value else None


def is_within(path: Path, directory: Path) -> bool:
    """Whether `path` lies in `directory` or below it (links resolved)."""
    inner, outer = path.expanduser().resolve(), directory.expanduser().resolve()
    return inner == outer or outer in inner.parents


def sample_data_dir() -> Path | None:
    """The shared sample media: `$LFR_SAMPLE_DATA`, else `../shared/data` beside the checkout
    when it exists, else None (the demo then builds its own scene)."""
    value = os.environ.get("LFR_SAMPLE_DATA")
    if value:
        return Path(value)
    candidate = _REPO_ROOT.parent / "shared" / "data"
    return candidate if candidate.is_dir() else None
