"""The exception hierarchy. Every error lfr raises on purpose derives from `LfrError`, so the
CLI can print it as one clear line and exit non-zero instead of dumping a traceback.

Subsystems define their own subclasses next to the code that raises them (e.g. a model cache
error in `lfr.assets`), deriving from the closest class here.
"""

from __future__ import annotations


class LfrError(Exception):
    """Base class: an error the user can act on; its message says what and where."""

    exit_code: int = 1


class ConfigError(LfrError, ValueError):
    """A setting is wrong. The message names the key path (e.g. `cameras[1].fps`)."""

    exit_code = 2


class InputError(LfrError, ValueError):
    """Input data (an image, a file, a message) cannot be used as given."""


class StateError(LfrError, RuntimeError):
    """An operation is not valid in the current state (e.g. an expired watchlist)."""


def find_lfr_error(exc: BaseException) -> LfrError | None:
    """The first `LfrError` inside (possibly nested) exception groups, for reporting an error
    raised in a trio nursery as the one clear line it is."""
    if isinstance(exc, LfrError):
        return exc
    if isinstance(exc, BaseExceptionGroup):
        for inner in exc.exceptions:
            found = find_lfr_error(inner)
            if found is not None:
                return found
    return None
