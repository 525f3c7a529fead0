"""Errors of the model cache. Each says which file or hash is at fault and what to run."""

from __future__ import annotations

from lfr.errors import LfrError, StateError


class AssetError(LfrError):
    """The models cannot be fetched, converted or trusted."""

    exit_code = 3


class FetchError(AssetError):
    """pip could not download the pinned wheel (offline, index down, ...)."""


class IntegrityError(AssetError, StateError):
    """A file's sha256 differs from the pinned value in models/manifest.toml."""
