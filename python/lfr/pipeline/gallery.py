"""Loading a watchlist into a search gallery for the daemon.

The refusals are the point: an expired watchlist has lost its authorisation; templates from
another model live in another embedding space, so their scores would be meaningless; and
content that no longer matches its recorded hash was changed outside lfr and is not what was
authorised.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from lfr.store.errors import IntegrityError, ModelMismatch, StoreError, WatchlistExpired

if TYPE_CHECKING:
    from lfr.store.watchlists import Watchlists


@dataclass(frozen=True)
class LoadedWatchlist:
    name: str
    content_hash: str
    threshold: float | None
    expires_at: float | None
    gallery: Any = field(repr=False)  # lfr._native.Gallery
    labels: dict[str, str] = field(default_factory=dict)
    categories: dict[str, str] = field(default_factory=dict)
    model_id: str = ""
    templates: int = 0


def load_watchlist(
    watchlists: Watchlists, name: str, model_id: str, *, now: float | None = None
) -> LoadedWatchlist:
    from lfr._native import Gallery  # the extension is needed only here

    with watchlists.snapshot():  # one consistent view while the CLI may be writing
        return _load(watchlists, name, model_id, Gallery, now)


def _load(
    watchlists: Watchlists, name: str, model_id: str, gallery_type: Any, now: float | None
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
    return LoadedWatchlist(
        name=name,
        content_hash=info.content_hash,
        threshold=info.threshold,
        expires_at=info.expires_at,
        gallery=gallery,
        labels={i.identity_id: i.label for i in identities},
        categories={i.identity_id: i.category for i in identities},
        model_id=model_id,
        templates=len(stored),
    )


def _utc(ts: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%SZ", time.gmtime(ts or 0))
