"""Bulk enrolment: many identities from one list of photos, in one transaction.

The same gate as one identity at a time (`lfr.watchlist.enrol`), with what only a batch
needs: photos listed twice, and look-alikes among the newcomers themselves, not only against
the people already enrolled. The look-alike check runs at the threshold the watchlist will
have with everyone in the batch enrolled. With `skip_refused`, refused photos (look-alikes
included: the later of two look-alike identities in list order is the one refused) are left
out and the rest is enrolled; without it, any refusal enrols nothing. Either way the result
counts the refusals by reason, because with thousands of photos the operator needs the
pattern (a folder of blurred photos, a batch of group shots), not a scrolling list.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lfr.store import NewTemplate, Store
from lfr.store.watchlists import IdentityUpdate
from lfr.watchlist.enrol import (
    Candidate,
    EnrolmentRefused,
    LookAlike,
    Refusal,
    assess_photo,
    lookalike_threshold,
    unit_vector,
)
from lfr.watchlist.photo_list import PhotoRow


@dataclass
class BulkResult:
    accepted: list[tuple[str, Candidate]] = field(default_factory=list)  # (identity, photo)
    refused: list[Refusal] = field(default_factory=list)
    lookalikes: list[LookAlike] = field(default_factory=list)
    threshold: float | None = None
    identities: int = 0
    content_hash: str | None = None

    def refusals_by_reason(self) -> dict[str, int]:
        counts = Counter(reason_kind(r) for refusal in self.refused for r in refusal.reasons[:1])
        return dict(counts.most_common())


def reason_kind(reason: str) -> str:
    """The kind of a refusal reason, without its particulars ("photo blurred: sharpness
    31 (need 50)" -> "photo blurred")."""
    if re.match(r"\d+ faces found", reason):
        return "several faces"
    return re.split(r"[:;(]", reason, maxsplit=1)[0].strip()


def enrol_list(
    store: Store,
    analyzer: Any,
    watchlist: str,
    rows: Sequence[PhotoRow],
    *,
    actor: str,
    largest: bool = False,
    force: bool = False,
    skip_refused: bool = False,
    thumbnails: bool = True,
    progress: Callable[[int, int, Candidate | Refusal], None] | None = None,
    source: str = "",
) -> BulkResult:
    info = store.watchlists.get(watchlist)  # fail fast on an unknown watchlist
    known = {
        (i.identity_id, s) for i in store.watchlists.identities(watchlist) for s in i.source_sha256
    }
    result = BulkResult()
    for n, row in enumerate(rows, start=1):
        outcome = assess_photo(analyzer, row.path, largest=largest, thumbnails=thumbnails)
        if isinstance(outcome, Candidate):
            key = (row.identity, outcome.source_sha256)
            if key in known:
                outcome = Refusal(outcome.path, [f"already enrolled for {row.identity!r}"])
            else:
                known.add(key)
                result.accepted.append((row.identity, outcome))
        if isinstance(outcome, Refusal):
            result.refused.append(outcome)
        if progress is not None:
            progress(n, len(rows), outcome)
    if result.refused and not skip_refused:
        raise EnrolmentRefused(
            f"{len(result.refused)} of {len(rows)} photo(s) refused ("
            + ", ".join(f"{k} {v}" for k, v in result.refusals_by_reason().items())
            + "); nothing enrolled (pass --skip-refused to enrol the others): "
            + " | ".join(map(str, result.refused[:20]))
        )
    stored = store.watchlists.templates(watchlist, model_id=analyzer.model_id)
    calibration = lookalike_threshold(info, analyzer.model_id, len(stored) + len(result.accepted))
    result.threshold = calibration.threshold
    found = _lookalikes(result.accepted, stored, calibration.threshold)
    result.lookalikes = [la for _, la in found]
    if result.lookalikes and not force:
        if not skip_refused:
            raise EnrolmentRefused(
                f"{len(result.lookalikes)} look-alike(s) at threshold {calibration.threshold:.3f}: "
                + "; ".join(map(str, result.lookalikes[:20]))
                + "; nothing enrolled. Check the photos, pass --skip-refused to leave them out, "
                "or --force to enrol anyway"
            )
        flagged = {row for row, _ in found}
        result.refused += [Refusal(la.path, [f"look-alike: {la}"]) for la in result.lookalikes]
        result.accepted = [a for row, a in enumerate(result.accepted) if row not in flagged]
    if not result.accepted:
        raise EnrolmentRefused("no photo passed the enrolment gate; nothing enrolled")
    by_identity: dict[str, list[NewTemplate]] = {}
    for identity, c in result.accepted:
        by_identity.setdefault(identity, []).append(
            NewTemplate(c.template, analyzer.model_id, c.source_sha256, c.quality, c.thumbnail_jpeg)
        )
    result.identities = len(by_identity)
    result.content_hash = store.watchlists.add_many(
        watchlist,
        [IdentityUpdate(i, tuple(ts)) for i, ts in by_identity.items()],
        actor=actor,
        details={
            "from_list": source,
            "photos_listed": len(rows),
            "photos_refused": len(result.refused),
            "refusals_by_reason": result.refusals_by_reason(),
            "lookalike_threshold": calibration.threshold,
            "forced_lookalikes": len(result.lookalikes) if force else 0,
        },
    )
    return result


def _lookalikes(
    accepted: Sequence[tuple[str, Candidate]], stored: Sequence[Any], threshold: float
) -> list[tuple[int, LookAlike]]:
    """Each newcomer against everyone enrolled and every newcomer before it in list order:
    (position among the newcomers, what it looks like)."""
    if not accepted:
        return []
    new = np.stack([unit_vector(c.template) for _, c in accepted])
    new_ids = [i for i, _ in accepted]
    found: list[tuple[int, LookAlike]] = []
    if stored:
        old = np.stack([unit_vector(t.vector) for t in stored])
        old_ids = np.array([t.identity_id for t in stored])
        scores = new @ old.T
        for row, (identity, cand) in enumerate(accepted):
            other = np.flatnonzero(old_ids != identity)
            if len(other):
                best = other[int(np.argmax(scores[row, other]))]
                if scores[row, best] >= threshold:
                    score = float(scores[row, best])
                    found.append((row, LookAlike(cand.path, str(old_ids[best]), score)))
    among = new @ new.T
    ids = np.array(new_ids)
    alive = np.ones(len(accepted), dtype=bool)
    alive[[row for row, _ in found]] = False
    for row, (identity, cand) in enumerate(accepted):
        if not alive[row]:
            continue
        usable = alive[:row] & (ids[:row] != identity)
        if usable.any():
            scores = np.where(usable, among[row, :row], -np.inf)
            j = int(np.argmax(scores))
            if scores[j] >= threshold:
                found.append((row, LookAlike(cand.path, new_ids[j], float(scores[j]))))
                alive[row] = False
    return found
