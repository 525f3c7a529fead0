"""The SQLite connection: WAL, busy timeout, one-transaction writes, migrations and a refusal to
touch a damaged file.

Why these choices: WAL lets the daemon read (load a watchlist, list alerts) while the CLI
writes; `busy_timeout` makes a writer wait for another writer instead of failing; `BEGIN
IMMEDIATE` takes the write lock up front so a transaction never fails half-way on a lock
upgrade; `synchronous=FULL` makes a committed alert survive a power cut, since an alert is
persisted before anyone is told about it. A process killed mid-write leaves the database as
before or as after: that is SQLite's journal, provided every logical change is one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lfr.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreFull
from lfr.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILENAME = "lfr.db"
BUSY_TIMEOUT_MS = 10_000
_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_FULL = 5, 6, 13  # primary result codes


def _check_header(path: Path) -> None:
    """Reject a file that is not SQLite before SQLite sees it, so it is never written to."""
    try:
        with path.open("rb") as fh:
            header = fh.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise StoreError(f"cannot read database {path}: {exc.strerror}") from exc
    if header and header != _SQLITE_HEADER:
        raise StoreCorrupt(
            f"{path} is not an SQLite database (bad header); it was left "
            "untouched: restore it from a backup or move it aside"
        )


# POSIX record locks belong to a process, and closing ANY descriptor of a file releases all of
# them. Reading the header of a database this process already has open would silently drop
# SQLite's locks: another process closing its last connection would then checkpoint and delete
# the WAL under ours (lost writes, then "disk I/O error" or a malformed database). So a file
# already open here is not read again; its first open checked it.
_OPEN_FILES: Counter[tuple[int, int]] = Counter()
_OPEN_LOCK = threading.Lock()


def _file_id(path: Path) -> tuple[int, int] | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    return st.st_dev, st.st_ino


def _create_private(path: Path) -> None:
    """Templates are biometric data: the file (and the -wal/-shm files SQLite gives the same
    mode) is readable by its owner only. An empty file is a new database to SQLite."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process created it first
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror}") from exc


class Database:
    """One connection, shareable across threads (the daemon calls it from worker threads);
    a lock serialises use because a sqlite3 connection is not safe for concurrent calls."""

    def __init__(self, path: Path, *, check: bool = True) -> None:
        self.path = path
        self._lock = threading.RLock()
        with _OPEN_LOCK:
            file_id = _file_id(path)
            if file_id is None:
                _create_private(path)
            elif not _OPEN_FILES[file_id]:
                _check_header(path)
            try:
                conn = sqlite3.connect(
                    str(path),
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
            except sqlite3.Error as exc:
                raise StoreError(f"cannot open database {path}: {exc}") from exc
            self._open_id = _file_id(path)  # what close() gives back; None once closed
            if self._open_id is not None:
                _OPEN_FILES[self._open_id] += 1
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if check:
                self._quick_check()
            self._check_identity()  # before anything writes to a file that may not be ours
            conn.execute("PRAGMA foreign_keys = ON")
            mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise StoreError(f"cannot put {path} in WAL mode (got {mode!r})")
            conn.execute("PRAGMA synchronous = FULL")
            # Deleted crops and templates are overwritten, not left in free pages.
            conn.execute("PRAGMA secure_delete = ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.close()
            raise StoreCorrupt(
                f"database {path} is damaged ({exc}); it was left untouched: "
                "restore it from a backup or move it aside"
            ) from exc
        except BaseException:
            self.close()
            raise

    def _quick_check(self) -> None:
        rows = self._conn.execute("PRAGMA quick_check").fetchall()
        problems = [r[0] for r in rows if r[0] != "ok"]
        if problems:
            raise StoreCorrupt(
                f"database {self.path} failed its integrity check "
                f"({problems[0]}); it was left untouched: restore it from a "
                "backup or move it aside"
            )

    def _check_identity(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        has_meta = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
        ).fetchone()
        has_any = self._conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchone()
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"database {self.path} has schema version {version}, newer than "
                f"this lfr supports ({SCHEMA_VERSION}): upgrade lfr"
            )
        if (version > 0 and not has_meta) or (version == 0 and has_any):
            raise StoreCorrupt(
                f"{self.path} is an SQLite database but not an lfr one; it was left untouched"
            )

    def _migrate(self) -> None:
        version = self._conn.execute("PRAGMA user_version").fetchone()[0]
        for target, statements in MIGRATIONS:
            if target <= version:
                continue
            with self.transaction() as conn:
                # Re-read under the write lock: another process may have migrated meanwhile.
                if conn.execute("PRAGMA user_version").fetchone()[0] >= target:
                    continue
                for statement in statements:
                    conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {target}")

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested uses join the outer one, so a repository method that
        audits its change commits data and audit record together or not at all."""
        with self._lock:
            conn = self._conn
            if conn.in_transaction:
                yield conn
                return
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._translate(exc) from exc
                raise

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        """A consistent snapshot for several SELECTs (a deferred transaction takes no lock)."""
        with self._lock:
            conn = self._conn
            if conn.in_transaction:
                yield conn
                return
            conn.execute("BEGIN")
            try:
                yield conn
            except sqlite3.Error as exc:
                raise self._translate(exc) from exc
            finally:
                conn.execute("COMMIT")

    def _translate(self, exc: sqlite3.Error) -> StoreError:
        """sqlite3's errors as store errors, so the CLI prints one line, not a traceback."""
        text = str(exc)
        if isinstance(exc, sqlite3.DatabaseError) and (
            "malformed" in text or "not a database" in text
        ):
            return StoreCorrupt(
                f"database {self.path} is damaged ({text}); it was left "
                "untouched: restore it from a backup or move it aside"
            )
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF
        if code in (_SQLITE_BUSY, _SQLITE_LOCKED) or "locked" in text or "busy" in text:
            return StoreBusy(
                f"database {self.path} stayed busy for {BUSY_TIMEOUT_MS} ms "
                "(another lfr process is writing); try again"
            )
        if code == _SQLITE_FULL:
            return StoreFull(f"database {self.path}: the disk is full ({text})")
        return StoreError(f"database {self.path}: {text}")

    def integrity_check(self) -> list[str]:
        """Full `PRAGMA integrity_check`; ['ok'] when sound."""
        with self._lock:
            return [r[0] for r in self._conn.execute("PRAGMA integrity_check").fetchall()]

    def checkpoint(self) -> None:
        """Fold the WAL into the main file and truncate it, so deleted data leaves the WAL
        too (best effort: a reader holding an old snapshot keeps it until it finishes)."""
        with self._lock:
            self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        with _OPEN_LOCK:
            if self._open_id is not None:
                _OPEN_FILES[self._open_id] -= 1
                if not _OPEN_FILES[self._open_id]:
                    del _OPEN_FILES[self._open_id]
                self._open_id = None
