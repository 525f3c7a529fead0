"""The SQLite connection: WAL, busy timeout, one-transaction writes, migrations and a refusal to
touch a damaged file.

Why these choices: WAL lets the daemon read (load a watchlist, list alerts) while the CLI
writes; `busy_timeout` makes a writer wait for another writer instead of failing; `BEGIN
IMMEDIATE` takes the write lock up front so a transaction never fails half-way on a lock
upgrade; `synchronous=FULL` makes a committed alert survive a power cut, since an alert is
persisted before anyone is told about it. Deleted biometric data must leave the disk, not only
the index: `secure_delete` zeroes it in the main file, and a transaction that deleted some
ends with a TRUNCATE checkpoint, retried while a reader holds an old snapshot, because the WAL
still holds the pages as they were before the delete. A process killed mid-write leaves the database as
before or as after: that is SQLite's journal, provided every logical change is one transaction.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lfr.store.errors import StoreBusy, StoreCorrupt, StoreError, StoreFull
from lfr.store.schema import MIGRATIONS, SCHEMA_VERSION

DB_FILENAME = "lfr.db"
BUSY_TIMEOUT_MS = 10_000
SCRUB_WAIT_MS = 1_000  # per attempt: lfr's own reads last milliseconds
SCRUB_ATTEMPTS = 3
_SQLITE_HEADER = b"SQLite format 3\x00"
_SQLITE_BUSY, _SQLITE_LOCKED, _SQLITE_FULL = 5, 6, 13  # primary result codes


# Databases this process has open, by inode. Closing any descriptor of a file drops every
# POSIX lock the process holds on it, SQLite's included; another process would then think
# itself the last connection and delete the -wal and -shm files under this one's feet. So the
# header is read (with a descriptor that is then closed) only by the first opener.
_OPEN: dict[tuple[int, int], int] = {}
_OPEN_LOCK = threading.Lock()


def _inode(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_dev, info.st_ino


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


def _create_private(path: Path) -> None:
    """Templates are biometric data: the file (and the -wal/-shm files SQLite gives the same
    mode) is readable by its owner only. An empty file is a new database to SQLite."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass  # another process created it first
    except OSError as exc:
        raise StoreError(f"cannot create database {path}: {exc.strerror}") from exc


class ScrubIncomplete(StoreError):
    """The deletion is committed, but the WAL still holds the deleted pages because another
    connection kept reading an old snapshot; the next deletion or retention run retries. Its
    own exit code, so a script can tell "deleted, scrub pending" from "not deleted"."""

    exit_code = 5


class Database:
    """One connection, shareable across threads (the daemon calls it from worker threads);
    a lock serialises use because a sqlite3 connection is not safe for concurrent calls."""

    def __init__(self, path: Path, *, check: bool = True) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._scrub_pending = False
        with _OPEN_LOCK:
            if not path.exists():
                _create_private(path)
            elif not _OPEN.get(_inode(path)):
                _check_header(path)
            self._inode = _inode(path)
            _OPEN[self._inode] = _OPEN.get(self._inode, 0) + 1
        try:
            self._open(path, check)
        except BaseException:
            self._forget()
            raise

    def _open(self, path: Path, check: bool) -> None:
        try:
            conn = sqlite3.connect(
                str(path),
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open database {path}: {exc}") from exc
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
            # A WAL that restarts after a checkpoint is cut back to nothing, so no tail of old
            # pages (deleted templates among them) outlives the checkpoint that freed them.
            conn.execute("PRAGMA journal_size_limit = 0")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StoreCorrupt(
                f"database {path} is damaged ({exc}); it was left untouched: "
                "restore it from a backup or move it aside"
            ) from exc
        except BaseException:
            conn.close()
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
                self._scrub_pending = False
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise self._translate(exc) from exc
                raise
            if self._scrub_pending:
                self._scrub_pending = False
                self.scrub()

    def deleted_biometrics(self) -> None:
        """Called inside a transaction that deleted templates, thumbnails or crops: once it
        commits, the WAL is checkpointed and truncated (`scrub`)."""
        if not self._conn.in_transaction:
            raise StoreError("deleted_biometrics() belongs inside the deleting transaction")
        self._scrub_pending = True

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

    def scrub(self) -> None:
        """Fold the WAL into the main file and truncate it to zero bytes, so deleted data
        leaves the WAL too. SQLite reports `busy` instead of failing when another connection
        still reads an old snapshot: wait and retry, then say so rather than pretend."""
        with self._lock:
            conn = self._conn
            conn.execute(f"PRAGMA busy_timeout = {SCRUB_WAIT_MS}")
            try:
                for attempt in range(SCRUB_ATTEMPTS):
                    if attempt:
                        time.sleep(SCRUB_WAIT_MS / 1000 * attempt)
                    try:
                        busy = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
                    except sqlite3.Error as exc:
                        raise self._translate(exc) from exc
                    if not busy:
                        return
            finally:
                conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        raise ScrubIncomplete(
            f"the deletion is committed, but another process kept reading {self.path}, so "
            "its write-ahead log still holds the deleted pages; they are scrubbed at the "
            "next deletion or retention run (hourly in the daemon)"
        )

    def close(self) -> None:
        with self._lock:
            self._conn.close()
        self._forget()

    def _forget(self) -> None:
        with _OPEN_LOCK:
            left = _OPEN.pop(self._inode, 1) - 1
            if left:
                _OPEN[self._inode] = left
