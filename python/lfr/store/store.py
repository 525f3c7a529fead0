"""`Store`: the one handle on the database, holding one repository per concept."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from lfr.paths import audit_key_file as lfr_audit_key_file
from lfr.paths import home_dir, is_within
from lfr.store.alert_files import AlertLogFiles
from lfr.store.alerts import Alerts
from lfr.store.audit import AuditLog
from lfr.store.audit_head import HEAD_LOG, HeadLine, export_head
from lfr.store.audit_seal import get_meta
from lfr.store.cluster import ClusterLedger
from lfr.store.db import DB_FILENAME, Database
from lfr.store.errors import StoreError
from lfr.store.retention import DEFAULT_ALERTS_DAYS, Retention, RetentionResult
from lfr.store.runs import Runs
from lfr.store.users import Users
from lfr.store.watchlists import Watchlists


class Store:
    """Open with `Store.open(home)`; use as a context manager or call `close()`."""

    def __init__(self, db: Database, audit_key_file: Path) -> None:
        self.db = db
        self.audit = AuditLog(db, audit_key_file)
        self.watchlists = Watchlists(db, self.audit)
        self.alerts = Alerts(db, self.audit)
        self.cluster = ClusterLedger(db, self.alerts)
        self.runs = Runs(db, self.audit)
        self.alert_log = AlertLogFiles(db.path.parent)
        self.retention = Retention(db, self.audit, self.alert_log)
        self.users = Users(db, self.audit)

    @classmethod
    def open(
        cls, home: Path | None = None, *, check: bool = True, audit_key_file: Path | None = None
    ) -> Store:
        """Open (creating the directory and database if new) and migrate. A damaged file
        raises `StoreCorrupt` and is left exactly as it was. `check=False` skips the
        start-up quick_check (for short-lived readers of a large database). The audit key
        (`audit_key_file`, default `$LFR_AUDIT_KEY_FILE` or `~/.config/lfr/audit.key`) is
        read, or created, when the first audit record is written."""
        directory = Path(home) if home is not None else home_dir()
        key_file = audit_key_file if audit_key_file is not None else lfr_audit_key_file()
        _check_outside(key_file, directory)
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create data directory {directory}: {exc.strerror}") from exc
        return cls(Database(directory / DB_FILENAME, check=check), key_file)

    def purge_due(
        self,
        *,
        alerts_days: float = DEFAULT_ALERTS_DAYS,
        actor: str = "daemon",
        now: float | None = None,
    ) -> tuple[list[str], RetentionResult]:
        """What the daemon runs at start (and may run daily): purge expired watchlists and
        alerts past retention, each audited. Returns (purged watchlist names, retention)."""
        purged = self.watchlists.purge_expired(actor=actor, now=now)
        result = self.retention.purge_alerts(alerts_days=alerts_days, now=now, actor=actor)
        self.db.scrub()  # finishes any scrub a long reader held up since the last run
        return purged, result

    def export_head(self, event: str) -> HeadLine:
        """Append the audit head to `audit.head.log` beside the database, for the operator to
        ship where the database's writers cannot reach."""
        return export_head(self.audit, self.head_log, event=event, store_id=self.store_id)

    @property
    def head_log(self) -> Path:
        return self.path.parent / HEAD_LOG

    @property
    def store_id(self) -> str:
        """The random id minted with the database: names it in exported heads."""
        with self.db.read() as conn:
            return get_meta(conn, "store_id") or ""

    @property
    def path(self) -> Path:
        return self.db.path

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _check_outside(key_file: Path, directory: Path) -> None:
    """The audit key beside the database would be taken with it by anyone who can take the
    database (or its backups), which is exactly whom the key is meant to stop."""
    if is_within(key_file.parent, directory):
        raise StoreError(
            f"the audit key {key_file} is inside the data directory {directory}: keep it "
            "outside ([audit] key_file or LFR_AUDIT_KEY_FILE), e.g. ~/.config/lfr/audit.key"
        )
