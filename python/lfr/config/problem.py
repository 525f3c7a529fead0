"""`Problem`: what a config section's `check` raises, naming the offending key."""

from __future__ import annotations

from lfr.errors import ConfigError


class Problem(ConfigError):
    """Raised by a section's `check`: `key` is the field (relative to the section); the
    validator prefixes the section's path, so the message names the exact key to fix."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
