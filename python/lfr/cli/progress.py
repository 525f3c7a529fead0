"""One progress bar for every long command: `lfr scan` of a file, enrolment (a list or a
folder), `lfr watchlist import`, `lfr eval`, `lfr models fetch`.

    with Progress("enrol", total=len(rows), quiet=args.json) as bar:
        for row in rows:
            ...
            bar.advance(note=f"refused {refused}")

It draws `label [#########.......] 1234/2840  41.2/s  ETA 0:39  note` on stderr, redrawn in
place at most ten times a second, and only when stderr is a terminal and the command was not
asked for JSON: a log file or a pipe gets the command's summary, not thousands of carriage
returns. Lower layers take a plain `(done, total)` callback (`Progress.update` is one), so
they know nothing of terminals.
"""

from __future__ import annotations

import sys
import time
from types import TracebackType
from typing import TextIO

REDRAW_S = 0.1


class Progress:
    WIDTH = 24

    def __init__(
        self,
        label: str,
        total: int | None = None,
        *,
        quiet: bool = False,
        unit: str = "",
        stream: TextIO | None = None,
    ) -> None:
        """`quiet`: never draw (`--json`). `unit`: "B" shows sizes and rates in bytes."""
        self.label = label
        self.total = total
        self.unit = unit
        self.done = 0
        self._stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and _is_tty(self._stream)
        self._start = time.monotonic()
        self._last = float("-inf")
        self._note = ""
        self._width = 0

    def update(self, done: int, total: int | None = None, note: str | None = None) -> None:
        """`done` of `total` now (a lower layer's `(done, total)` callback)."""
        self.done = done
        if total is not None:
            self.total = total
        if note is not None:
            self._note = note
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last >= REDRAW_S or (self.total is not None and done >= self.total):
            self._last = now
            self._draw(now)

    def advance(self, n: int = 1, note: str | None = None) -> None:
        self.update(self.done + n, note=note)

    def line(self, text: str) -> None:
        """Print a line of its own (a refusal, a warning) without garbling the bar."""
        if self.enabled and self._width:
            self._stream.write("\r" + " " * self._width + "\r")
        print(text, file=self._stream, flush=True)
        if self.enabled and self._width:
            self._draw(time.monotonic())

    def close(self) -> None:
        if self.enabled and self._width:
            self._draw(time.monotonic())
            self._stream.write("\n")
            self._stream.flush()
            self._width = 0

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def render(self, now: float) -> str:
        elapsed = max(now - self._start, 1e-6)
        rate = self.done / elapsed
        parts = [self.label]
        if self.total:
            filled = min(self.WIDTH, self.WIDTH * self.done // self.total)
            parts.append(f"[{'#' * filled}{'.' * (self.WIDTH - filled)}]")
            parts.append(f"{self._amount(self.done)}/{self._amount(self.total)}")
        else:
            parts.append(self._amount(self.done))
        parts.append(f"{self._amount(rate)}/s")
        if self.total and rate > 0 and self.done < self.total:
            parts.append(f"ETA {_clock((self.total - self.done) / rate)}")
        elif self.total and self.done >= self.total:
            parts.append(f"in {_clock(elapsed)}")
        if self._note:
            parts.append(self._note)
        return "  ".join(parts)

    def _draw(self, now: float) -> None:
        text = self.render(now)
        pad = max(0, self._width - len(text))
        self._stream.write("\r" + text + " " * pad)
        self._stream.flush()
        self._width = len(text)

    def _amount(self, value: float) -> str:
        if self.unit != "B":
            return f"{value:.1f}" if value != int(value) else f"{int(value)}"
        for suffix in ("B", "KB", "MB", "GB"):
            if value < 1024 or suffix == "GB":
                return f"{value:.0f} {suffix}" if suffix == "B" else f"{value:.1f} {suffix}"
            value /= 1024
        return f"{value:.1f} GB"


def _clock(seconds: float) -> str:
    whole = round(seconds)
    minutes, secs = divmod(whole, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _is_tty(stream: TextIO) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or fake stream
        return False
