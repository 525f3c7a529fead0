"""`lfr eval threshold --watchlist-size N --fpir X [--pairs PAIRS.tsv --root DIR] [--json]`: the
threshold at which a search with a still photo against N enrolled templates returns a
non-mated probe with probability X, from the model's reference distribution of different-person
scores (or from the different-person pairs of a given file), with its 95% interval and whether
it rests on the tail model alone (extrapolated).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from lfr.errors import InputError


def register(sub: Any) -> None:
    p = sub.add_parser("threshold", help="the threshold for a watchlist size and FPIR")
    p.add_argument("--watchlist-size", type=int, required=True, metavar="N")
    p.add_argument("--fpir", type=float, required=True, metavar="X")
    p.add_argument(
        "--pairs", type=Path, metavar="PAIRS.tsv", help="different-person pairs to use instead"
    )
    p.add_argument("--root", type=Path, help="folder the pair paths are relative to")
    p.add_argument("--json", action="store_true")
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lfr.calibration import load_reference, per_comparison, threshold_for

    if args.watchlist_size < 1:
        raise InputError(f"--watchlist-size must be at least 1, got {args.watchlist_size}")
    if not 0.0 < args.fpir < 1.0:
        raise InputError(f"--fpir must be in (0, 1), got {args.fpir}")
    if args.pairs is not None:
        dist, source = _from_pairs(args), f"different-person pairs of {args.pairs}"
    else:
        ref = load_reference()
        dist, source = (
            ref.still,
            f"reference distribution ({ref.model_id}): {ref.still.description}",
        )
    est = threshold_for(dist, args.watchlist_size, args.fpir)
    result = {
        "threshold": est.value,
        "interval": [est.low, est.high],
        "extrapolated": est.extrapolated,
        "watchlist_size": args.watchlist_size,
        "fpir": args.fpir,
        "per_comparison_rate": per_comparison(args.fpir, args.watchlist_size),
        "comparisons": dist.comparisons,
        "resolvable_rate": dist.resolvable_rate,
        "source": source,
    }
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    note = (
        f"extrapolated: below the {dist.resolvable_rate:.2g} per comparison that "
        f"{dist.comparisons} comparisons resolve, the tail model alone speaks"
        if est.extrapolated
        else f"within what {dist.comparisons} comparisons resolve"
    )
    print(
        f"threshold {est.value:.4f} (95% interval {est.low:.4f} to {est.high:.4f}) for FPIR "
        f"{args.fpir:g} at {args.watchlist_size} templates: {result['per_comparison_rate']:.3g} "
        f"per comparison; {note}"
    )
    print(f"from the {source}")
    return 0


def _from_pairs(args: argparse.Namespace) -> Any:
    from lfr.calibration.build import distribution_from_pairs
    from lfr.cli.cmd_eval import TemplateCache, read_pairs
    from lfr.inference import FaceAnalyzer

    if args.root is None:
        raise InputError("--pairs needs --root, the folder its paths are relative to")
    analyzer = FaceAnalyzer.create(models_dir=args.models_dir, threads=args.threads)
    cache = TemplateCache(analyzer, args.root)
    scores = []
    for p in read_pairs(args.pairs):
        if p.same:
            continue
        a, b = cache.get(p.a), cache.get(p.b)
        if not isinstance(a, str) and not isinstance(b, str):
            scores.append(float(a @ b))
    if len(scores) < 21:
        raise InputError(f"{args.pairs}: {len(scores)} usable different-person pairs; need 21+")
    return distribution_from_pairs(np.array(scores))
