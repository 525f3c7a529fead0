"""`lfr probe IMAGE... [--json] [--watchlist NAME]`: the faces found in each image, with
quality, and with `--watchlist` each face's best matches on that watchlist.

Nothing is written anywhere: probe images and their templates stay in memory.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from lfr.cli.inference_args import add_analyzer_options, analyzer_from_args
from lfr.errors import LfrError
from lfr.imageio import load_image
from lfr.inference import FaceAnalyzer
from lfr.pipeline.gallery import LoadedWatchlist, load_watchlist


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("probe", help="detect faces in images and report their quality")
    parser.add_argument("images", nargs="+", type=Path, metavar="IMAGE")
    parser.add_argument("--json", action="store_true", help="one JSON document on stdout")
    parser.add_argument(
        "--watchlist",
        default=None,
        help="also search each face on this watchlist ($LFR_HOME's store)",
    )
    parser.add_argument("--top", type=int, default=3, help="matches per face (default 3)")
    add_analyzer_options(parser)
    parser.set_defaults(func=run)


def probe_one(
    analyzer: FaceAnalyzer, path: Path, watchlist: LoadedWatchlist | None = None, top: int = 3
) -> dict[str, object]:
    img = load_image(path)
    faces = analyzer.detect(img)
    described = [face.as_dict() for face in faces]
    if watchlist is not None and faces:
        threshold = (
            watchlist.threshold if watchlist.threshold is not None else analyzer.default_threshold
        )
        ids, scores = watchlist.gallery.search(analyzer.templates(img, faces), top)
        for face, row_ids, row_scores in zip(described, ids, scores, strict=False):
            face["matches"] = [
                {
                    "identity": ident,
                    "label": watchlist.labels.get(ident),
                    "score": round(float(score), 4),
                    "match": bool(score >= threshold),
                }
                for ident, score in zip(row_ids, row_scores, strict=False)
            ]
    return {
        "image": str(path),
        "width": img.shape[1],
        "height": img.shape[0],
        "faces": described,
    }


def _print_text(result: dict[str, object]) -> None:
    faces = result["faces"]
    assert isinstance(faces, list)
    print(f"{result['image']}: {result['width']}x{result['height']}, {len(faces)} face(s)")
    for i, f in enumerate(faces):
        q = f["quality"]
        x1, y1, x2, y2 = f["bbox"]
        print(
            f"  #{i} box=({x1:.0f},{y1:.0f},{x2:.0f},{y2:.0f}) score={f['score']:.3f} "
            f"eyes={q['inter_eye_px']:.0f}px yaw={q['yaw_deg']:.0f} pitch={q['pitch_deg']:.0f} "
            f"roll={q['roll_deg']:.0f} sharp={q['sharpness']:.0f} quality={q['score']:.2f}"
        )
        for m in f.get("matches", []):
            flag = "MATCH" if m["match"] else "     "
            print(f"     {flag} {m['identity']} ({m['label'] or '-'}) score={m['score']:.3f}")


def run(args: argparse.Namespace) -> int:
    analyzer = analyzer_from_args(args)
    watchlist = _load_watchlist(args.watchlist, analyzer) if args.watchlist else None
    results: list[dict[str, object]] = []
    failed = 0
    for path in args.images:
        try:
            result = probe_one(analyzer, path, watchlist, args.top)
        except LfrError as exc:
            if len(args.images) == 1:
                raise
            failed += 1
            print(f"lfr: error: {exc}", file=sys.stderr)
            results.append({"image": str(path), "error": str(exc)})
            continue
        results.append(result)
        if not args.json:
            _print_text(result)
    if args.json:
        print(json.dumps({"model_id": analyzer.model_id, "images": results}, indent=2))
    return 1 if failed else 0


def _load_watchlist(name: str, analyzer: FaceAnalyzer) -> LoadedWatchlist:
    from lfr.store import Store

    with Store.open() as store:
        return load_watchlist(store.watchlists, name, analyzer.model_id)
