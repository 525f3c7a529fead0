"""The watchlists the running pipeline matches against, swapped whole on reload.

Cameras look their watchlist up by name on every frame, so a reload (SIGHUP, `watchlist.reload`
on the socket) replaces the gallery between two frames without stopping any camera. A reload
that fails for a passing reason (the store busy, content that no longer matches its hash)
keeps the previous version running and says why: a typo in the store must not blind every
camera. A watchlist whose authorisation has ended is the exception: past its `expires_at` the
lookup returns nothing from that instant, whatever the housekeeping has purged yet, and a
watchlist deleted from the store (or expired there) is dropped at the next reload and reported
as dropped.

Each load recomputes the watchlist's effective threshold for its size now (identities added
or removed move it) and records it in the audit trail whenever it changes, so the record says
which threshold was in force when. An explicit threshold (the configuration's override or the
watchlist's own) is logged as a warning with the false-alert rate it is expected to give at
this size: a fixed threshold that suited 10 people alerts on strangers at 1,000.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

from lfr.errors import LfrError
from lfr.pipeline.gallery import LoadedWatchlist, load_watchlist
from lfr.store import Store
from lfr.store.errors import WatchlistExpired, WatchlistNotFound

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ReloadOutcome:
    name: str
    loaded: bool
    content_hash: str | None
    templates: int
    error: str | None = None
    threshold: float | None = None
    dropped: bool = False  # no longer matched against: deleted or expired in the store


class WatchlistSet:
    def __init__(
        self, store: Store, model_id: str, *, threshold_override: float | None = None
    ) -> None:
        self._store = store
        self._model_id = model_id
        self._override = threshold_override
        self._lock = threading.Lock()
        self._loaded: dict[str, LoadedWatchlist] = {}

    def get(self, name: str) -> LoadedWatchlist | None:
        """The watchlist to match against now: None when it is not loaded or its expiry has
        passed (checked on every lookup, i.e. every frame)."""
        loaded = self._loaded.get(name)
        if loaded is None or _expired(loaded, time.time()):
            return None
        return loaded

    def expired(self) -> list[str]:
        """Loaded watchlists past their expiry: no longer matched, still to be purged."""
        now = time.time()
        return sorted(name for name, wl in self._loaded.items() if _expired(wl, now))

    def label_of(self, watchlist: str, identity: str) -> str | None:
        loaded = self._loaded.get(watchlist)
        return None if loaded is None else loaded.labels.get(identity)

    def names(self) -> list[str]:
        return sorted(self._loaded)

    def load(self, name: str) -> ReloadOutcome:
        """(Re)load one watchlist from the store. Blocking: call from a worker thread."""
        try:
            loaded = load_watchlist(
                self._store.watchlists, name, self._model_id, threshold_override=self._override
            )
        except (WatchlistExpired, WatchlistNotFound) as exc:
            with self._lock:
                self._loaded = {k: v for k, v in self._loaded.items() if k != name}
            log.warning("watchlist %s dropped: %s", name, exc)
            return ReloadOutcome(name, False, None, 0, str(exc), dropped=True)
        except LfrError as exc:  # the store's refusals, or no usable calibration
            kept = self._loaded.get(name)
            log.error(
                "watchlist %s not (re)loaded: %s%s",
                name,
                exc,
                "; the previous version stays in use" if kept else "",
            )
            return ReloadOutcome(
                name,
                False,
                kept.content_hash if kept else None,
                kept.templates if kept else 0,
                str(exc),
                kept.threshold if kept else None,
            )
        with self._lock:
            previous = self._loaded.get(name)
            self._loaded = {**self._loaded, name: loaded}
        log.info(
            "watchlist %s loaded: %d templates, hash %s",
            name,
            loaded.templates,
            loaded.content_hash[:12],
        )
        self._record_threshold(loaded, previous)
        return ReloadOutcome(
            name, True, loaded.content_hash, loaded.templates, threshold=loaded.threshold
        )

    def _record_threshold(self, loaded: LoadedWatchlist, previous: LoadedWatchlist | None) -> None:
        cal = loaded.calibration
        assert cal is not None  # load_watchlist always calibrates
        line = f"watchlist {loaded.name}: {cal.describe()}"
        if cal.source == "calibrated":
            log.info("%s", line)
        else:
            log.warning("%s", line)
        if (
            previous is not None
            and previous.calibration is not None
            and previous.calibration.as_dict() == cal.as_dict()
        ):
            return
        self._store.audit.append(
            "watchlist.threshold",
            "daemon",
            {
                "watchlist": loaded.name,
                "content_hash": loaded.content_hash,
                "identities": len(loaded.labels),
                "previous_threshold": previous.threshold if previous else None,
                **cal.as_dict(),
            },
        )

    def load_all(self, names: Iterable[str]) -> list[ReloadOutcome]:
        return [self.load(name) for name in sorted(set(names))]

    def describe(self) -> list[dict[str, object]]:
        """The watchlists cameras match against now (an expired one is not among them)."""
        now = time.time()
        return [
            {
                "name": wl.name,
                "content_hash": wl.content_hash,
                "templates": wl.templates,
                "identities": len(wl.labels),
                "threshold": wl.threshold,
                "threshold_source": wl.threshold_source,
                "target_fpir": wl.target_fpir,
                "expected_fpir": wl.expected_fpir,
                "expires_at": wl.expires_at,
            }
            for wl in self._loaded.values()
            if not _expired(wl, now)
        ]


def _expired(loaded: LoadedWatchlist, now: float) -> bool:
    return loaded.expires_at is not None and loaded.expires_at <= now
