"""Better templates, measured: mirror-image test-time augmentation (flip TTA) and several
enrolment photos per identity, fused by max (a search takes the identity's best template, the
watchlist's way) or by mean, on the LFW slice's evaluation half, with the metric code of
`lfr eval identify` (lfr.calibration.identification) and its 95% Clopper-Pearson intervals.

    .venv/bin/python benches/template_options.py

Each variant's FNIR is read at its own threshold for FPIR 0.01 (fixed FPIR, as the issue
asks). Probes use the face at the picture's centre (LFW's subject); gallery photos pass the
enrolment gate with exactly one face.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lfw_data
from lfr.calibration.identification import still_search, summarise


def evaluate(templates: np.ndarray, t: lfw_data.Templates, photos: int, fusion: str) -> str:
    """Gallery: the first `photos` photos of each identity with more; probes: their other
    photos (mated) and every photo of the identities with fewer (non-mated). fusion "first"
    enrols only the first photo but keeps the same probes, the fair peer of photos=2."""
    by_identity: dict[str, list[int]] = defaultdict(list)
    for i in np.flatnonzero(t.parts() == "evaluation"):
        by_identity[str(t.identities[i])].append(int(i))
    gate = t.enrolable(largest=False)
    vectors, names, probes = [], [], []
    for identity, rows in by_identity.items():
        if len(rows) <= photos:
            probes += [(r, identity) for r in rows]
            continue
        enrolled = [r for r in rows[:photos] if gate[r]][: 1 if fusion == "first" else photos]
        if enrolled and fusion == "mean":
            v = templates[enrolled].sum(axis=0)
            vectors.append(v / np.linalg.norm(v))
            names.append(identity)
        else:
            vectors += [templates[r] for r in enrolled]
            names += [identity] * len(enrolled)
        probes += [(r, identity) for r in rows[photos:]]
    gallery, ids = np.stack(vectors), np.array(names)
    known = set(names)
    scores = templates[[r for r, _ in probes]] @ gallery.T
    searches = []
    for k, (_, identity) in enumerate(probes):
        j = int(np.argmax(scores[k]))
        truth = identity if identity in known else None
        searches.append(still_search(truth, str(ids[j]), float(scores[k, j])))
    r = summarise(searches, [])
    at = r["fnir_at_fpir"]["0.01"]
    return (
        f"{len(known):4d} ids {r['mated']:4d} mated {r['non_mated']:4d} non-mated | rank-1 "
        f"{r['rank1']:.4f} [{r['rank1_ci'][0]:.3f}, {r['rank1_ci'][1]:.3f}] | FPIR 0.01: FNIR "
        f"{at['fnir']:.4f} [{at['fnir_ci'][0]:.3f}, {at['fnir_ci'][1]:.3f}]"
    )


def main() -> None:
    t = lfw_data.load_templates(lfw_data.data_root())
    flip = t.plain + t.mirrored
    flip /= np.linalg.norm(flip, axis=1, keepdims=True)
    for name, templates in (("plain", t.plain), ("flip TTA", flip)):
        print(f"{name:9s} 1 photo          {evaluate(templates, t, 1, 'max')}")
        print(f"{name:9s} 1 photo (peer)   {evaluate(templates, t, 2, 'first')}")
        print(f"{name:9s} 2 photos, max    {evaluate(templates, t, 2, 'max')}")
        print(f"{name:9s} 2 photos, mean   {evaluate(templates, t, 2, 'mean')}")


if __name__ == "__main__":
    main()
