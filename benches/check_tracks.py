"""Where the calibrated threshold puts the sample clips' tracks, and whether their fused
different-person scores agree with the `track` reference distribution.

    .venv/bin/python benches/check_tracks.py [--size N] [--target 1e-4]

Gallery: one enrolable photo per LFW identity (the first that passes the gate), as in the
deployment check. Each track's templates (those the embed schedule picked, which is what the
pipeline fuses) are fused as the decision fuses them (normalised quality-weighted sum, weights
floored at 0.05) and re-scored after each from the 3rd on; a track's score is the best of its
re-scorings. Lin-Manuel Miranda's tracks (Hamilton clip) are found with his photo and left out
of the different-person counts. A check, never an input: the reference comes from LFW only.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import lfw_data
import video_tracks
from lfr.calibration import load_reference, threshold_for

MIN_TEMPLATES, MIN_WEIGHT = 3, 0.05
LEVELS = (0.35, 0.40, 0.45, 0.50)


def fused_runs(
    clip: video_tracks.ClipTracks, rows: np.ndarray, gallery: np.ndarray
) -> np.ndarray | None:
    """Per gallery template, the best score over the track's re-scorings (None: the track
    never had the templates a decision needs)."""
    picked = rows[clip.scheduled[rows]]
    if len(picked) < MIN_TEMPLATES:
        return None
    w = np.maximum(clip.quality[picked], MIN_WEIGHT)[:, None]
    fused = np.cumsum(clip.plain[picked] * w, axis=0)
    fused /= np.linalg.norm(fused, axis=1, keepdims=True)
    scores = fused @ gallery.T
    return scores[MIN_TEMPLATES - 1 :].max(axis=0)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--target", type=float, default=1e-4)
    args = ap.parse_args()
    root = lfw_data.data_root()
    t = lfw_data.load_templates(root)
    first: dict[str, int] = {}
    for i in np.flatnonzero(t.enrolable(largest=False)):
        first.setdefault(str(t.identities[i]), int(i))
    gallery = t.plain[list(first.values())]
    from lfr.imageio import load_image
    from lfr.inference import FaceAnalyzer

    fa = FaceAnalyzer.create()
    img = load_image(root / "face_recognition/examples/lin-manuel-miranda.png")
    miranda = fa.templates(img, fa.detect(img)[:1])[0]
    ref = load_reference(fa.model_id).track
    size = len(gallery) + 1
    thr = threshold_for(ref, size, args.target)
    print(
        f"gallery {size} templates; calibrated threshold {thr.value:.3f} "
        f"[{thr.low:.3f}, {thr.high:.3f}] for {args.target:g} per passer-by"
    )
    pooled = []
    for name in video_tracks.CLIPS:
        clip = video_tracks.load_clip(name, root)
        for rows in clip.tracks():
            run = fused_runs(clip, rows, np.vstack([gallery, miranda[None, :]]))
            head = (
                f"  {name} track {clip.track[rows[0]]:3d} ({len(rows):3d} faces, "
                f"{int(clip.scheduled[rows].sum()):2d} templates)"
            )
            if run is None:
                print(f"{head}: too few templates to decide")
                continue
            is_miranda = run[-1] >= 0.45 and run[-1] == run.max()
            best = float(run[:-1].max())
            if not is_miranda:
                pooled.append(run[:-1])
            who = f"Miranda {run[-1]:.3f}" if is_miranda else "not listed"
            print(
                f"{head}: best LFW {best:.3f}, {who}"
                f"{'  <- crosses' if max(best, run[-1]) >= thr.value else ''}"
            )
    scores = np.concatenate(pooled)
    print(f"different-person comparisons from {len(pooled)} tracks: {len(scores)}")
    for level in LEVELS:
        est = ref.rate(level)
        print(
            f"  >= {level:.2f}: observed {int((scores >= level).sum())}, track reference "
            f"predicts {est.value * len(scores):.1f} [{est.low * len(scores):.1f}, "
            f"{est.high * len(scores):.1f}]"
        )


if __name__ == "__main__":
    main()
