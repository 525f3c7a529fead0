"""`Problem`: what a section's `check` raises, naming the key an operator must fix."""

from __future__ import annotations

from lfr.errors import ConfigError


class Problem(ConfigError):
    """Raised by a section's `check`: `key` is the field (relative to the section)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message
