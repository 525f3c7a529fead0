"""The alert log's files: `alerts/YYYY-MM-DD.jsonl` in the data directory, one per UTC day of
capture, each created 0600, and deleted by the same retention run that deletes the alerts.

Why daily files: the log is a copy of alert data (who was seen, where, when), so it must not
outlive the alerts it copies. Whole days past the cutoff are deleted; the one day the cutoff
falls in is rewritten without its expired lines, so no line lives longer than its alert. A
single `alerts.jsonl` left by an older lfr (one file growing forever, with the umask's mode)
is split into the daily files at the first retention run and removed.
"""

from __future__ import annotations

import calendar
import json
import os
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lfr.store.errors import StoreError

LOG_DIR = "alerts"
LEGACY_LOG = "alerts.jsonl"
_DAY = 86_400
_SUFFIX = ".jsonl"


@dataclass(frozen=True)
class LogPurge:
    files: int = 0  # whole days deleted (or emptied)
    lines: int = 0  # lines deleted from them and from the day the cutoff falls in


class AlertLogFiles:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.directory = data_dir / LOG_DIR

    def path_for(self, ts: float) -> Path:
        return self.directory / (time.strftime("%Y-%m-%d", time.gmtime(ts)) + _SUFFIX)

    def append(self, ts: float, lines: Iterable[str]) -> None:
        """Append lines (without newlines) to the file of `ts`'s day. Raises OSError as is:
        for the pipeline a failing log is a failing output, logged and counted."""
        data = "".join(line + "\n" for line in lines).encode("utf-8")
        _write(self.directory, self.path_for(ts), data, os.O_APPEND)

    def purge_before(self, cutoff: float) -> LogPurge:
        self._adopt_legacy()
        files = lines = 0
        for path in self.files():
            day_start = _day_start(path)
            if day_start is None or day_start >= cutoff:
                continue
            if day_start + _DAY <= cutoff:
                lines += _count_lines(path)
                path.unlink()
                files += 1
            else:
                lines += self._trim(path, cutoff)
        return LogPurge(files, lines)

    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(p for p in self.directory.iterdir() if p.name.endswith(_SUFFIX))

    def _trim(self, path: Path, cutoff: float) -> int:
        """Rewrite the day the cutoff falls in without its expired lines (atomically)."""
        kept, dropped = [], 0
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            if _line_ts(line, default=0.0) >= cutoff:
                kept.append(line + "\n")
            else:
                dropped += 1
        if dropped:
            tmp = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
            self._write(tmp, "".join(kept).encode("utf-8"), os.O_EXCL)
            os.replace(tmp, path)
        return dropped

    def _adopt_legacy(self) -> None:
        legacy = self.data_dir / LEGACY_LOG
        if not legacy.is_file():
            return
        fallback = legacy.stat().st_mtime
        by_day: dict[Path, list[str]] = {}
        for line in legacy.read_text(encoding="utf-8", errors="replace").splitlines():
            if line.strip():
                by_day.setdefault(self.path_for(_line_ts(line, fallback)), []).append(line)
        for path, lines in by_day.items():
            self._write(path, "".join(x + "\n" for x in lines).encode("utf-8"), os.O_APPEND)
        legacy.unlink()

    def _write(self, path: Path, data: bytes, mode: int) -> None:
        try:
            _write(self.directory, path, data, mode)
        except OSError as exc:
            raise StoreError(f"cannot write alert log {path}: {exc.strerror}") from exc


def _write(directory: Path, path: Path, data: bytes, mode: int) -> None:
    directory.mkdir(mode=0o700, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | mode, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _day_start(path: Path) -> float | None:
    try:
        parsed = time.strptime(path.name.removesuffix(_SUFFIX), "%Y-%m-%d")
    except ValueError:
        return None
    return float(calendar.timegm(parsed))  # the name is a UTC day


def _line_ts(line: str, default: float) -> float:
    try:
        value = json.loads(line).get("ts")
        return float(value) if isinstance(value, (int, float)) else default
    except (ValueError, AttributeError):
        return default


def _count_lines(path: Path) -> int:
    with path.open("rb") as fh:
        return sum(1 for _ in fh)
