"""Enrolment: turning reference photos into watchlist templates, refusing the ones that would
make bad templates.

Why so strict: a template from a blurred, turned or wrong face makes the system miss the
person or, worse, alert on strangers. So every photo must show exactly one face (or the
operator says `--largest`), pass the quality gate, and not look like another identity already
on the watchlist (that would cause false alerts, so it needs `--force`). A refused photo
always says why. All templates of one `add` are written in one transaction, or none.

"Looks like" means: scores at or above the threshold the watchlist will have once this
enrolment is in (its effective threshold at its new size), since that is the score at which
the cameras would confuse the two.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lfr.calibration import Calibration
from lfr.errors import InputError
from lfr.store import NewTemplate, Store, StoredTemplate, WatchlistInfo


class EnrolmentRefused(InputError):
    """Nothing was enrolled; the message lists each photo's reasons."""


@dataclass(frozen=True)
class Candidate:
    """A photo that passed the gate: its template and provenance."""

    path: Path
    template: np.ndarray = field(repr=False)
    quality: float
    source_sha256: str
    faces_found: int
    thumbnail_jpeg: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Refusal:
    path: Path
    reasons: list[str]

    def __str__(self) -> str:
        return f"{self.path}: " + "; ".join(self.reasons)


@dataclass(frozen=True)
class LookAlike:
    path: Path
    identity: str
    score: float

    def __str__(self) -> str:
        return (
            f"{self.path} scores {self.score:.3f} against identity {self.identity!r}: "
            "it will cause false alerts"
        )


@dataclass
class EnrolmentResult:
    accepted: list[Candidate] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)
    lookalikes: list[LookAlike] = field(default_factory=list)
    content_hash: str | None = None


def assess_photo(
    analyzer: Any, path: Path, *, largest: bool = False, thumbnails: bool = True
) -> Candidate | Refusal:
    """Run one photo through detection, the one-face rule and the quality gate."""
    from lfr.imageio import ImageError, decode_image
    from lfr.inference import largest_face
    from lfr.inference.quality import assess_enrolment

    try:
        data = path.read_bytes()
    except OSError as exc:
        return Refusal(path, [f"cannot read file: {exc.strerror}"])
    try:
        image = decode_image(data, path)
    except ImageError as exc:
        return Refusal(path, [f"not a usable image: {exc}"])
    faces = analyzer.detect(image)
    if not faces:
        return Refusal(path, ["no face found"])
    if len(faces) > 1 and not largest:
        return Refusal(
            path,
            [
                f"{len(faces)} faces found; enrol from a photo of one person "
                "or pass --largest to take the largest face"
            ],
        )
    face = largest_face(faces) if largest else faces[0]
    assert face is not None  # faces is not empty here
    crops = analyzer.align(image, [face])
    reasons = list(assess_enrolment(face, crops[0]))
    if reasons:
        return Refusal(path, reasons)
    template = np.asarray(analyzer.embed_crops(crops)[0], dtype=np.float32)
    thumb = None
    if thumbnails:
        from lfr.jpeg import encode_jpeg

        thumb = encode_jpeg(np.ascontiguousarray(crops[0]))
    return Candidate(
        path,
        template,
        float(face.quality.score),
        hashlib.sha256(data).hexdigest(),
        len(faces),
        thumb,
    )


def find_lookalikes(
    candidates: Sequence[Candidate], others: Sequence[StoredTemplate], threshold: float
) -> list[LookAlike]:
    """Each candidate's best score against every other identity's templates, where it reaches
    the match threshold (exact: a dot product over L2-normalised vectors)."""
    if not candidates or not others:
        return []
    probe = np.stack([unit_vector(c.template) for c in candidates])
    gallery = np.stack([unit_vector(t.vector) for t in others])
    scores = probe @ gallery.T
    found = []
    for row, cand in zip(scores, candidates, strict=False):
        best = int(np.argmax(row))
        if row[best] >= threshold:
            found.append(LookAlike(cand.path, others[best].identity_id, float(row[best])))
    return found


def enrol(
    store: Store,
    analyzer: Any,
    watchlist: str,
    identity_id: str,
    paths: Sequence[Path],
    *,
    actor: str,
    label: str | None = None,
    category: str | None = None,
    notes: str | None = None,
    largest: bool = False,
    force: bool = False,
    skip_refused: bool = False,
    thumbnails: bool = True,
    progress: Any = None,
) -> EnrolmentResult:
    """Assess every photo, then write all accepted templates in one transaction.

    Refuses (EnrolmentRefused, nothing written) when any photo is refused unless
    `skip_refused`, when none is accepted, and on a look-alike unless `force`."""
    info = store.watchlists.get(watchlist)  # fail fast on an unknown watchlist
    result = EnrolmentResult()
    known = {
        s
        for i in store.watchlists.identities(watchlist)
        if i.identity_id == identity_id
        for s in i.source_sha256
    }
    for path in paths:
        outcome = assess_photo(analyzer, Path(path), largest=largest, thumbnails=thumbnails)
        if isinstance(outcome, Candidate) and outcome.source_sha256 in known:
            outcome = Refusal(outcome.path, [f"this photo is already enrolled for {identity_id!r}"])
        if isinstance(outcome, Candidate):
            known.add(outcome.source_sha256)
            result.accepted.append(outcome)
        else:
            result.refused.append(outcome)
        if progress is not None:
            progress(outcome)
    if result.refused and (not skip_refused or not result.accepted):
        raise EnrolmentRefused(_refusal_message(result.refused, skip_refused))
    stored = store.watchlists.templates(watchlist, model_id=analyzer.model_id)
    threshold = lookalike_threshold(info, analyzer.model_id, len(stored) + len(result.accepted))
    others = [t for t in stored if t.identity_id != identity_id]
    result.lookalikes = find_lookalikes(result.accepted, others, threshold.threshold)
    if result.lookalikes and not force:
        raise EnrolmentRefused(
            "look-alike: "
            + "; ".join(map(str, result.lookalikes))
            + f" (threshold {threshold.threshold:.3f} at {threshold.size} templates); nothing "
            "enrolled. Check the "
            "photos, or pass --force to enrol anyway"
        )
    result.content_hash = store.watchlists.add(
        watchlist,
        identity_id,
        [
            NewTemplate(c.template, analyzer.model_id, c.source_sha256, c.quality, c.thumbnail_jpeg)
            for c in result.accepted
        ],
        actor=actor,
        label=label,
        category=category,
        notes=notes,
    )
    return result


def lookalike_threshold(info: WatchlistInfo, model_id: str, size_after: int) -> Calibration:
    """The threshold the watchlist will have at `size_after` templates (no configuration
    override is known here: the watchlist's own threshold, else its calibrated one)."""
    return info.calibration(size_after, model_id)


def _refusal_message(refused: Sequence[Refusal], skip_refused: bool) -> str:
    head = (
        "no photo passed the enrolment gate"
        if skip_refused
        else f"{len(refused)} photo(s) refused; nothing enrolled (pass --skip-refused to enrol "
        "the others)"
    )
    return head + ": " + " | ".join(map(str, refused))


def unit_vector(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32).reshape(-1)
    return v / max(float(np.linalg.norm(v)), 1e-12)
