"""Loading a watchlist into a search gallery for the daemon, with its effective threshold.

The refusals are the point: an expired watchlist has lost its authorisation; templates from
another model live in another embedding space, so their scores would be meaningless; and
content that no longer matches its recorded hash was changed outside lfr and is not what was
authorised.

The threshold is always set here, because the right one depends on the list's size: every
enrolled template is one more chance for a passer-by to look like somebody on the list. It is
calibrated from the model's reference distribution for the watchlist's target false-alert
rate per passer-by (`lfr.calibration`), unless an explicit threshold overrides it (the
configuration's, then the watchlist's own), in which case the rate it is expected to give is
computed all the same, for the warning and the audit trail.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lfr.calibration import Calibration, effective_threshold
from lfr.store.errors import IntegrityError, ModelMismatch, StoreError, WatchlistExpired

if TYPE_CHECKING:
    from lfr.store.watchlists import WatchlistInfo, Watchlists


@dataclass(frozen=True)
class LoadedWatchlist:
    name: str
    content_hash: str
    threshold: float  # the effective threshold: always set (see `calibration`)
    expires_at: float | None
    gallery: Any = field(repr=False)  # lfr._native.Gallery
    labels: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    model_id: str = ""
    templates: int = 0
    calibration: Calibration | None = field(default=None, repr=False)

    @property
    def threshold_source(self) -> str:
        """ "calibrated", "watchlist" (its own explicit threshold) or "override" (config)."""
        return self.calibration.source if self.calibration else "override"

    @property
    def target_fpir(self) -> float | None:
        return self.calibration.target_fpir if self.calibration else None

    @property
    def expected_fpir(self) -> float | None:
        """False alerts expected per passer-by at this threshold and size (None: unknown)."""
        e = self.calibration.expected_fpir if self.calibration else None
        return None if e is None else e.value


def load_watchlist(
    watchlists: Watchlists,
    name: str,
    model_id: str,
    *,
    now: float | None = None,
    threshold_override: float | None = None,
) -> LoadedWatchlist:
    from lfr._native import Gallery  # the extension is needed only here

    with watchlists.snapshot():  # one consistent view while the CLI may be writing
        return _load(watchlists, name, model_id, Gallery, now, threshold_override)


def watchlist_threshold(
    info: WatchlistInfo, model_id: str, size: int, threshold_override: float | None = None
) -> Calibration:
    """The watchlist's threshold at `size` templates: the configuration's override, else its
    own explicit threshold, else calibrated for its target."""
    if threshold_override is None:
        return info.calibration(size, model_id)
    return effective_threshold(
        model_id,
        size,
        info.target_fpir,
        explicit=threshold_override,
        source="override",
        name=info.name,
    )


def _load(
    watchlists: Watchlists,
    name: str,
    model_id: str,
    gallery_type: Any,
    now: float | None,
    threshold_override: float | None,
) -> LoadedWatchlist:
    info = watchlists.get(name)
    now = time.time() if now is None else now
    if info.expired(now):
        raise WatchlistExpired(
            f"watchlist {name!r} expired at {_utc(info.expires_at)}; it may not be used: "
            "purge it (`lfr watchlist purge-expired`) and create a new one with a fresh "
            "authorisation"
        )
    foreign = [m for m in info.model_ids if m != model_id]
    if foreign:
        raise ModelMismatch(
            f"watchlist {name!r} holds templates made by {', '.join(foreign)}; "
            f"this lfr uses {model_id}: re-enrol its identities "
            f"(`lfr watchlist add {name} --id ...`) with the current model"
        )
    if watchlists.recompute_hash(name) != info.content_hash:
        raise IntegrityError(
            f"watchlist {name!r} does not match its recorded content hash: "
            "it was changed outside lfr; check `lfr audit verify` and "
            "re-import it from a trusted bundle"
        )
    stored = watchlists.templates(name, model_id=model_id)
    identities = watchlists.identities(name)
    dims = {t.vector.shape[0] for t in stored}
    if len(dims) > 1:
        raise StoreError(f"watchlist {name!r} mixes template sizes {sorted(dims)}")
    dim = dims.pop() if dims else 128
    gallery = gallery_type(dim)
    if stored:
        matrix = np.ascontiguousarray(np.stack([t.vector for t in stored]), dtype=np.float32)
        gallery.add([t.identity_id for t in stored], matrix)
    calibration = watchlist_threshold(info, model_id, len(stored), threshold_override)
    return LoadedWatchlist(
        name=name,
        content_hash=info.content_hash,
        threshold=calibration.threshold,
        expires_at=info.expires_at,
        gallery=gallery,
        labels={i.identity_id: i.label for i in identities},
        categories={i.identity_id: i.category for i in identities},
        model_id=model_id,
        templates=len(stored),
        calibration=calibration,
    )


def _utc(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ts or 0))
