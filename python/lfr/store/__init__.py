"""The governance store: watchlists, alerts and verdicts, audit trail, runs, retention.

One SQLite file, `$LFR_HOME/lfr.db`. Nothing about a face that matched nobody is ever stored.
"""

from __future__ import annotations

from lfr.store.alerts import VERDICTS, Alert, AlertRecord, AlertRevision
from lfr.store.audit import AuditRecord, AuditVerdict
from lfr.store.errors import (
    AlertNotFound,
    IdentityNotFound,
    IntegrityError,
    ModelMismatch,
    StoreBusy,
    StoreCorrupt,
    StoreError,
    StoreFull,
    StoreUnavailable,
    WatchlistExists,
    WatchlistExpired,
    WatchlistNotFound,
)
from lfr.store.retention import RetentionResult
from lfr.store.runs import Run
from lfr.store.store import Store
from lfr.store.watchlists import IdentityInfo, NewTemplate, StoredTemplate, WatchlistInfo

__all__ = [
    "VERDICTS",
    "Alert",
    "AlertNotFound",
    "AlertRecord",
    "AlertRevision",
    "AuditRecord",
    "AuditVerdict",
    "IdentityInfo",
    "IdentityNotFound",
    "IntegrityError",
    "ModelMismatch",
    "NewTemplate",
    "RetentionResult",
    "Run",
    "Store",
    "StoreBusy",
    "StoreCorrupt",
    "StoreError",
    "StoreFull",
    "StoreUnavailable",
    "StoredTemplate",
    "WatchlistExists",
    "WatchlistExpired",
    "WatchlistInfo",
    "WatchlistNotFound",
]
