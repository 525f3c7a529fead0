"""`Store`: the one handle on the database, holding one repository per concept."""

from __future__ import annotations

from pathlib import Path
from types import TracebackType

from lfr.paths import home_dir
from lfr.store.alerts import Alerts
from lfr.store.audit import AuditLog
from lfr.store.db import DB_FILENAME, Database
from lfr.store.errors import StoreError
from lfr.store.retention import DEFAULT_ALERTS_DAYS, Retention, RetentionResult
from lfr.store.runs import Runs
from lfr.store.users import Users
from lfr.store.watchlists import Watchlists


class Store:
    """Open with `Store.open(home)`; use as a context manager or call `close()`."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.audit = AuditLog(db)
        self.watchlists = Watchlists(db, self.audit)
        self.alerts = Alerts(db, self.audit)
        self.runs = Runs(db, self.audit)
        self.retention = Retention(db, self.audit)
        self.users = Users(db, self.audit)

    @classmethod
    def open(cls, home: Path | None = None, *, check: bool = True) -> Store:
        """Open (creating the directory and database if new) and migrate. A damaged file
        raises `StoreCorrupt` and is left exactly as it was. `check=False` skips the
        start-up quick_check (for short-lived readers of a large database)."""
        directory = Path(home) if home is not None else home_dir()
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(f"cannot create data directory {directory}: {exc.strerror}") from exc
        return cls(Database(directory / DB_FILENAME, check=check))

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
        return purged, self.retention.purge_alerts(alerts_days=alerts_days, now=now, actor=actor)

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
