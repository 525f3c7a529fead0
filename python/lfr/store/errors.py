"""Typed store errors. Each says what state the data is in and what the operator can do, so the
CLI can print it as one line; the daemon catches the subclasses it can recover from."""

from __future__ import annotations

from lfr.errors import StateError


class StoreError(StateError):
    """The store cannot do what was asked: the database is unusable or the data refuses it."""


class StoreUnavailable(StoreError):
    """The database cannot take a write now for a reason that passes by itself (another
    process holds the write lock, the disk is full): the write may be retried unchanged."""

    condition = "unavailable"


class StoreBusy(StoreUnavailable):
    """Another process held the write lock for longer than the busy timeout."""

    condition = "busy"


class StoreFull(StoreUnavailable):
    """The disk (or the database's size limit) is full; the transaction was rolled back."""

    condition = "disk full"


class StoreCorrupt(StoreError):
    """The database file is damaged or not an lfr database. It is never replaced or repaired
    automatically: an operator must restore it from a backup or move it aside."""

    exit_code = 3


class WatchlistNotFound(StoreError):
    """No watchlist of that name exists."""


class WatchlistExists(StoreError):
    """A watchlist of that name exists already."""


class WatchlistExpired(StoreError):
    """The watchlist's authorisation has run out: it may not be loaded, only purged."""


class ModelMismatch(StoreError):
    """The templates were made by another embedding model; scores between models mean
    nothing, so the identities must be re-enrolled with the current model."""


class IdentityNotFound(StoreError):
    """No identity of that id in the watchlist."""


class AlertNotFound(StoreError):
    """No alert with that id."""


class IntegrityError(StoreError):
    """Stored data does not match its recorded hash (edited outside lfr)."""
