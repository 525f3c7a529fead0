"""`lfr eval identify GALLERY.tsv PROBES.tsv --root DIR [--threshold T] [--json] [--plot det.png]`:
1:N identification accuracy with the NIST FRVT definitions (see lfr.calibration.identification).

Both files list `path`, `identity` and optionally `group` (lfr.watchlist.photo_list). Gallery
photos go through the enrolment gate; refusals are reported, and an identity left without a
photo is not in the gallery, so its probes are non-mated searches. A probe whose identity is
not in the gallery (or `-`) is a non-mated search. A still photo is one search; a video is
searched the way the pipeline decides, one search per track. With a `group` column, every
figure is also given per group (the equitability view: do error rates differ between groups?).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from lfr.cli.inference_args import add_analyzer_options, analyzer_from_args
from lfr.errors import InputError

# Thresholds the operating points (and video sweeps) cover, besides the ones asked for.
GRID = tuple(round(0.10 + 0.02 * i, 2) for i in range(36))


def register(sub: Any) -> None:
    p = sub.add_parser("identify", help="1:N identification accuracy (FNIR at FPIR, rank-1)")
    p.add_argument("gallery_file", type=Path, metavar="GALLERY.tsv")
    p.add_argument("probes_file", type=Path, metavar="PROBES.tsv")
    p.add_argument("--root", type=Path, required=True, help="folder the listed paths are under")
    p.add_argument("--threshold", type=float, help="also report this operating point")
    p.add_argument("--json", action="store_true")
    p.add_argument("--plot", type=Path, metavar="det.png", help="draw the DET curve (matplotlib)")
    p.add_argument(
        "--largest", action="store_true", help="gallery photos with several faces: the largest"
    )
    add_analyzer_options(p)
    p.set_defaults(func=run)


def evaluate(args: argparse.Namespace, analyzer: Any) -> tuple[dict[str, Any], list[Any]]:
    from lfr.calibration.identification import summarise
    from lfr.cli.eval_probes import (
        build_gallery,
        is_video,
        still_searches,
        video_decisions,
        video_searches,
    )
    from lfr.cli.progress import Progress
    from lfr.watchlist.photo_list import read_photo_list

    with Progress("gallery", quiet=args.json) as bar:
        gallery = build_gallery(
            analyzer,
            read_photo_list(args.gallery_file, args.root),
            largest=args.largest,
            progress=bar.update,
        )
    if not gallery.identities:
        raise InputError("no gallery photo passed the enrolment gate: nothing to search")
    probes = read_photo_list(args.probes_file, args.root)
    known = set(gallery.identities)
    stills = [r for r in probes if not is_video(r.path)]
    with Progress("probes", quiet=args.json) as bar:
        searches, failures = still_searches(analyzer, gallery, stills, progress=bar.update)
    thresholds = sorted({*GRID, *([args.threshold] if args.threshold is not None else [])})
    for row in (r for r in probes if is_video(r.path)):
        tracks, decisions = video_decisions(analyzer, gallery, row.path, thresholds)
        truth = row.identity if row.identity in known else None
        searches += video_searches(truth, tracks, decisions, row.group)
    out: dict[str, Any] = {"gallery_identities": len(gallery.identities)}
    out.update(summarise(searches, thresholds))
    groups = sorted({s.group for s in searches if s.group is not None})
    if groups:
        out["by_group"] = {
            g: summarise([s for s in searches if s.group == g], thresholds) for g in groups
        }
    out.update(
        gallery_templates=gallery.templates,
        gallery_refused=gallery.refused,
        probe_failures=failures,
        model_id=analyzer.model_id,
    )
    return out, searches


def run(args: argparse.Namespace) -> int:
    analyzer = analyzer_from_args(args)
    result, searches = evaluate(args, analyzer)
    if args.plot is not None:
        plot_det(searches, args.plot, result)
    if args.json:
        print(json.dumps(result, indent=2, allow_nan=False))
    else:
        print(render(result))
    return 0


def render(r: dict[str, Any]) -> str:
    def pct(v: float | None) -> str:
        return "n/a" if v is None else f"{100 * v:.2f}%"

    lines = [
        f"gallery: {r['gallery_identities']} identities ({r['gallery_templates']} templates; "
        f"{len(r['gallery_refused'])} photo(s) refused by the enrolment gate)",
        f"searches: {r['mated']} mated, {r['non_mated']} non-mated "
        f"({len(r['probe_failures'])} probe(s) without a face)",
        f"rank-1: {pct(r['rank1'])} [{pct(r['rank1_ci'][0])}, {pct(r['rank1_ci'][1])}]",
    ]
    for key, t in r["threshold_at_fpir"].items():
        at = r["fnir_at_fpir"][key]
        if t is None:
            lines.append(f"FPIR {key}: not resolvable with {r['non_mated']} non-mated searches")
            continue
        lines.append(
            f"FPIR {key}: threshold {t:.4f}, FNIR {pct(at['fnir'])} "
            f"[{pct(at['fnir_ci'][0])}, {pct(at['fnir_ci'][1])}], measured FPIR {pct(at['fpir'])}"
        )
    lines.append("threshold   FPIR [95% CI]                FNIR [95% CI]")
    for p in r["operating_points"]:
        lines.append(
            f"{p['threshold']:.4f}   {pct(p['fpir']):>7} [{pct(p['fpir_ci'][0])}, "
            f"{pct(p['fpir_ci'][1])}]   {pct(p['fnir']):>7} [{pct(p['fnir_ci'][0])}, "
            f"{pct(p['fnir_ci'][1])}]"
        )
    for group, g in r.get("by_group", {}).items():
        lines.append(
            f"group {group}: {g['mated']} mated, {g['non_mated']} non-mated, rank-1 "
            f"{pct(g['rank1'])}"
        )
    return "\n".join(lines)


def plot_det(searches: list[Any], path: Path, result: dict[str, Any]) -> None:
    """FNIR against FPIR on log axes (matplotlib, an optional extra: `pip install lfr[plot]`)."""
    try:
        import matplotlib  # type: ignore[import-not-found]

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt  # type: ignore[import-not-found]
    except ImportError:
        raise InputError(
            "--plot needs matplotlib, an optional extra: pip install 'lfr[plot]'"
        ) from None
    from lfr.calibration.identification import det_curve

    fpir, fnir = det_curve(searches)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.step(fpir, fnir, where="post")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("FPIR (false positive identification rate)")
    ax.set_ylabel("FNIR (false negative identification rate)")
    ax.set_title(
        f"DET, {result['gallery_identities']} identities, {result['mated']} mated / "
        f"{result['non_mated']} non-mated"
    )
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    print(f"DET curve written to {path}", file=sys.stderr)
