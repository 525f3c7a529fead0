"""The one progress bar: what it draws, and that it draws nothing off a terminal."""

from __future__ import annotations

import io

import pytest

from lfr.cli import progress as progress_mod
from lfr.cli.progress import Progress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_bar_shows_count_rate_and_eta(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = iter([100.0, 102.0, 110.0, 110.0])
    monkeypatch.setattr(progress_mod.time, "monotonic", lambda: next(clock))
    term = Terminal()
    bar = Progress("scan", total=100, stream=term)  # starts at 100.0
    bar.update(20, note="dropped 0")  # 2 s in: 10/s, 80 left: 8 s
    assert (
        term.getvalue() == "\rscan  [####....................]  20/100  10/s  ETA 0:08  dropped 0"
    )
    bar.update(100)  # done: the time it took instead of an ETA
    assert term.getvalue().endswith("100/100  10/s  in 0:10  dropped 0")
    bar.close()
    assert term.getvalue().endswith("\n")


def test_lines_are_printed_above_the_bar_and_bytes_read_as_sizes() -> None:
    term = Terminal()
    bar = Progress("fetch", total=4 * 1024 * 1024, unit="B", stream=term)
    bar.update(1024 * 1024)
    bar.line("accepted a.jpg")
    text = term.getvalue()
    assert "1.0 MB/4.0 MB" in text
    assert "\raccepted a.jpg\n\rfetch" in text.replace(" " * bar._width, "")


def test_nothing_is_drawn_off_a_terminal_or_with_json() -> None:
    for stream, quiet in ((io.StringIO(), False), (Terminal(), True)):
        bar = Progress("scan", total=10, stream=stream, quiet=quiet)
        for i in range(10):
            bar.update(i + 1)
        bar.line("a line is still a line")
        bar.close()
        assert not bar.enabled
        assert stream.getvalue() == "a line is still a line\n"
