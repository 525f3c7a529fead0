"""Running a command with its stderr on a pseudo-terminal, as a person at a terminal would:
what a progress bar draws is only drawn there."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping, Sequence


def run_on_terminal(
    argv: Sequence[str], env: Mapping[str, str], timeout: float = 300
) -> tuple[int, bytes, bytes]:
    """(exit code, stdout, stderr as the terminal received it); stdout is a pipe."""
    main, sub = os.openpty()
    try:
        proc = subprocess.run(
            list(argv),
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=sub,
            timeout=timeout,
            check=False,
        )
        os.close(sub)
        sub = -1
        err = b""
        while True:
            try:
                chunk = os.read(main, 4096)
            except OSError:  # the other side is closed: all was read
                break
            if not chunk:
                break
            err += chunk
    finally:
        if sub >= 0:
            os.close(sub)
        os.close(main)
    return proc.returncode, proc.stdout, err
