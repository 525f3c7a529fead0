"""Reading a starting `lfr-run` or `lfr` process the way an operator watches its terminal:
stderr line by line, until the line that says it got there."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable


def read_until(
    proc: subprocess.Popen[str], done: Callable[[str], bool], timeout: float
) -> list[str]:
    """The stderr lines read until one for which `done(line)` holds (included), the stream
    ends, or `timeout` seconds pass. Callers check the last line to tell which."""
    assert proc.stderr is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        lines.append(line)
        if done(line):
            break
    return lines


def wait_ready(proc: subprocess.Popen[str], timeout: float = 60) -> list[str]:
    """The stderr lines of a starting `lfr-run` up to its "ready" line (kills it if none)."""
    lines = read_until(proc, lambda line: "ready" in line, timeout)
    if lines and "ready" in lines[-1]:
        return lines
    proc.kill()
    raise AssertionError("lfr-run did not become ready:\n" + "".join(lines))
