"""Compute the embedder's reference distributions of different-person scores from the LFW
slice (calibration part only) and check them against the held-back evaluation part.

    .venv/bin/python benches/calibrate_reference.py --out models/sface_2021dec_reference.json

Writes scores only (no image, no template): for each distribution its comparison count, the
empirical exceedance curve, the highest scores, the generalised Pareto fit of the tail and 200
fits to bootstrap resamples of the identities. Prints the sha256 to put in
models/manifest.toml (`reference_sha256`) and the held-back check.

The two distributions (see lfr.calibration.reference):
- still: unordered pairs of photos of two different people of which at least one passes
  the enrolment gate (the enrolled side of a search always does);
- track: for each person with two or more photos, the photos fused one at a time (normalised
  sum) as a track's templates are, re-scored after each; against each enrolable photo of
  every other person, the highest of the re-scorings. Diverse photos fuse into a template with
  a heavier different-person tail than one photo has, and the re-scorings add chances: the
  tail this gives is heavier than what the sample clips' tracks show (benches/RESULTS.md),
  which is the side to err on.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from collections import defaultdict
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lfw_data
from lfr import __version__
from lfr.calibration.build import describe_scores
from lfr.calibration.distribution import Distribution

REPLICATES = 200
LEVELS = (0.30, 0.35, 0.40, 0.45, 0.50, 0.55)


class Part:
    """The photos of one part of the split, with what the distributions need."""

    def __init__(self, t: lfw_data.Templates, name: str) -> None:
        rows = np.flatnonzero((t.parts() == name) & t.found)
        self.ids = t.identities[rows]
        self.gated = t.enrolable()[rows]
        self.templates = t.plain[rows]
        self.names = sorted(set(self.ids))
        self.code = np.searchsorted(self.names, self.ids)  # identity as an integer
        self.by_identity: dict[int, list[int]] = defaultdict(list)
        for i, c in enumerate(self.code):
            self.by_identity[int(c)].append(i)
        self.scores = self.templates @ self.templates.T
        seqs = [rows_ for rows_ in self.by_identity.values() if len(rows_) >= 2]
        self.seq_code = np.array([self.code[r[0]] for r in seqs])
        gallery = np.flatnonzero(self.gated)
        self.gallery = gallery
        runmax = np.empty((len(seqs), len(gallery)), np.float32)
        for k, r in enumerate(seqs):
            fused = np.cumsum(self.templates[r], axis=0)
            fused /= np.linalg.norm(fused, axis=1, keepdims=True)
            runmax[k] = (fused @ self.templates[gallery].T).max(axis=0)
        self.runmax = runmax

    def still(self, draw: np.ndarray | None = None) -> np.ndarray:
        """Scores of the still-photo pairs among the identities drawn (all when None)."""
        draw = np.arange(len(self.names)) if draw is None else draw
        photos = np.concatenate([self.by_identity[int(c)] for c in draw])
        who = np.concatenate(
            [np.full(len(self.by_identity[int(c)]), k) for k, c in enumerate(draw)]
        )
        s = self.scores[np.ix_(photos, photos)]
        code, gated = self.code[photos], self.gated[photos]
        i, j = np.triu_indices(len(photos), 1)
        keep = (code[i] != code[j]) & (gated[i] | gated[j]) & (who[i] != who[j])
        return s[i[keep], j[keep]]

    def track(self, draw: np.ndarray | None = None) -> np.ndarray:
        draw = np.arange(len(self.names)) if draw is None else draw
        counts = np.bincount(draw, minlength=len(self.names))
        seq_w = counts[self.seq_code]
        gal_w = counts[self.code[self.gallery]]
        rows = np.repeat(np.arange(len(self.seq_code)), seq_w)
        cols = np.repeat(np.arange(len(self.gallery)), gal_w)
        block = self.runmax[np.ix_(rows, cols)]
        differ = self.seq_code[rows][:, None] != self.code[self.gallery][cols][None, :]
        return block[differ]


DESCRIPTIONS = {
    "still": "one photo against one enrolled photo of another person (pairs of LFW photos of "
    "two people, at least one passing the enrolment gate)",
    "track": "a person's photos fused one at a time and re-scored after each (highest "
    "re-scoring), against one enrolled photo of another person",
}


def check(dist: Distribution, held: np.ndarray) -> dict:
    """Held-back comparisons at each level: observed against what the reference predicts."""
    out = []
    for level in LEVELS:
        observed = int(np.count_nonzero(held >= level))
        est = dist.rate(level)
        out.append(
            {
                "score": level,
                "observed": observed,
                "predicted": est.value * len(held),
                "predicted_interval": [est.low * len(held), est.high * len(held)],
                "extrapolated": est.extrapolated,
            }
        )
    return {"comparisons": len(held), "levels": out}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    t0 = time.time()
    root = lfw_data.data_root()
    t = lfw_data.load_templates(root)
    from lfr.inference import FaceAnalyzer

    model_id = FaceAnalyzer.create().model_id
    cal, held = Part(t, "calibration"), Part(t, "evaluation")
    rng = np.random.default_rng(20240610)
    draws = [rng.integers(0, len(cal.names), len(cal.names)) for _ in range(REPLICATES)]
    dists, checks = {}, {}
    for name in ("still", "track"):
        full = getattr(cal, name)()
        boot = [getattr(cal, name)(d) for d in draws]
        dists[name] = describe_scores(DESCRIPTIONS[name], full, boot)
        checks[name] = check(Distribution.from_dict(name, dists[name]), getattr(held, name)())
    reference = {
        "schema": 1,
        "model_id": model_id,
        "command": "python benches/calibrate_reference.py --out models/sface_2021dec_reference.json",
        "lfr_version": __version__,
        "source": {
            "data": "LFW slice in $LFR_SAMPLE_DATA/lfw (deep-funneled, names A-F, at most 5 "
            "photos each); the face at the picture's centre",
            "split": "calibration part: identities whose sha256(name) starts with a byte < 128; "
            "the evaluation part (the rest) is only checked against",
            "identities": len(cal.names),
            "photos": len(cal.ids),
            "excluded_photos": sorted(lfw_data.EXCLUDED),
            "aliases": lfw_data.ALIASES,
            "bootstrap": f"{REPLICATES} resamples of the calibration identities",
        },
        "distributions": dists,
        "checks": {"held_back": checks},
    }
    text = json.dumps(reference, indent=1, sort_keys=True) + "\n"
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text)} bytes) in {time.time() - t0:.0f} s")
    print(f'reference_sha256 = "{hashlib.sha256(text.encode()).hexdigest()}"')
    for name, c in checks.items():
        print(
            f"{name}: {dists[name]['comparisons']} calibration comparisons, "
            f"{c['comparisons']} held back"
        )
        for lv in c["levels"]:
            lo, hi = lv["predicted_interval"]
            print(
                f"  >= {lv['score']:.2f}: observed {lv['observed']}, predicted "
                f"{lv['predicted']:.1f} [{lo:.1f}, {hi:.1f}]"
                f"{' (extrapolated)' if lv['extrapolated'] else ''}"
            )


if __name__ == "__main__":
    main()
