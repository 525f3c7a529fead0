"""How every lfr command ends: an error the user can act on is one line and an exit code.

An `LfrError` raised inside a trio nursery arrives wrapped in an exception group; it is still
reported as the one line it is. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

from lfr.errors import LfrError, find_lfr_error


def run_reporting(prog: str, command: Callable[[], int | None]) -> int:
    """Run `command`; its return value (None = 0) is the exit code. Ctrl-C exits 130."""
    try:
        return int(command() or 0)
    except (LfrError, BaseExceptionGroup) as exc:
        error = find_lfr_error(exc)
        if error is None:
            raise
        print(f"{prog}: error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
