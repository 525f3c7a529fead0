"""`lfr watchlist add`: enrol photos of one identity (`--id ID PHOTO...`) or of many from a list
(`--from-tsv LIST.tsv --root DIR`).

One identity (its photos, or a folder of them) prints a line per photo; a list of thousands
prints none, and ends with the refusals counted by reason. Both show a progress bar on a
terminal (`lfr.cli.progress`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from lfr.cli.progress import Progress
from lfr.cli.store_args import actor, open_store
from lfr.errors import InputError


class IntermixedParser(argparse.ArgumentParser):
    """Options may sit between the watchlist name and the photos (`add op --id x a.jpg`)
    although the photos are optional (none with --from-tsv): plain argparse binds an
    optional positional list, empty, at the first option it meets."""

    _mixing = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        if self._mixing:  # parse_known_intermixed_args calls back in here
            return super().parse_known_args(args, namespace)
        self._mixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._mixing = False


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("name")
    p.add_argument("--id", dest="identity", help="the identity the photos show")
    p.add_argument(
        "--from-tsv",
        type=Path,
        metavar="LIST.tsv",
        help="enrol many identities: TSV of path, identity (optional header row)",
    )
    p.add_argument("--root", type=Path, help="folder the --from-tsv paths are relative to")
    p.add_argument("--label")
    p.add_argument("--category", help="e.g. wanted, missing")
    p.add_argument("--notes")
    p.add_argument(
        "--largest", action="store_true", help="photos with several faces: take the largest"
    )
    p.add_argument("--force", action="store_true", help="enrol despite a look-alike warning")
    p.add_argument(
        "--skip-refused",
        action="store_true",
        help="enrol the photos that pass even if others are refused",
    )
    p.add_argument("--no-thumbnail", action="store_true", help="store no reference thumbnail")
    p.add_argument("--models-dir", type=Path, default=None)
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("images", nargs="*", type=Path, help="photos, or folders of photos")


def run(args: argparse.Namespace) -> int:
    from lfr.inference import FaceAnalyzer

    if args.from_tsv is not None:
        if args.identity or args.images or args.label or args.category or args.notes:
            raise InputError("--from-tsv takes identities from the list: drop --id and photos")
        if args.root is None:
            raise InputError("--from-tsv needs --root, the folder its paths are relative to")
    elif not args.identity or not args.images:
        raise InputError("give --id ID and one or more photos, or --from-tsv LIST.tsv --root DIR")
    analyzer = FaceAnalyzer.create(models_dir=args.models_dir, threads=args.threads)
    with open_store(args) as store:
        if args.from_tsv is not None:
            return _from_list(args, store, analyzer)
        return _one_identity(args, store, analyzer)


def _one_identity(args: argparse.Namespace, store: Any, analyzer: Any) -> int:
    from lfr.watchlist.enrol import Candidate, enrol

    photos = photos_of(args.images)
    with Progress("enrol", total=len(photos)) as bar:

        def progress(outcome: Any) -> None:
            if isinstance(outcome, Candidate):
                bar.line(f"accepted {outcome.path} (quality {outcome.quality:.2f})")
            else:
                bar.line(f"refused {outcome}")
            bar.advance()

        result = enrol(
            store,
            analyzer,
            args.name,
            args.identity,
            photos,
            actor=actor(args),
            label=args.label,
            category=args.category,
            notes=args.notes,
            largest=args.largest,
            force=args.force,
            skip_refused=args.skip_refused,
            thumbnails=not args.no_thumbnail,
            progress=progress,
        )
    for lookalike in result.lookalikes:
        print(f"warning: {lookalike} (enrolled because of --force)", file=sys.stderr)
    print(
        f"enrolled {len(result.accepted)} template(s) for {args.identity} in {args.name}; "
        f"content hash {result.content_hash}"
    )
    return 0


def photos_of(paths: list[Path]) -> list[Path]:
    """The photos named, a folder standing for the images in it (by name; not recursive)."""
    from lfr.stream.inputs import folder_images

    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            images = folder_images(path)
            if not images:
                raise InputError(f"{path}: no images (.jpg, .png, ...) in the folder")
            out += images
        else:
            out.append(path)
    return out


def _from_list(args: argparse.Namespace, store: Any, analyzer: Any) -> int:
    from lfr.watchlist.bulk import enrol_list
    from lfr.watchlist.enrol import Refusal
    from lfr.watchlist.photo_list import read_photo_list

    rows = read_photo_list(args.from_tsv, args.root)
    refused = 0

    def progress(done: int, total: int, outcome: object) -> None:
        nonlocal refused
        refused += isinstance(outcome, Refusal)
        bar.update(done, total, note=f"accepted {done - refused} refused {refused}")

    with Progress("enrol", total=len(rows)) as bar:
        result = enrol_list(
            store,
            analyzer,
            args.name,
            rows,
            actor=actor(args),
            largest=args.largest,
            force=args.force,
            skip_refused=args.skip_refused,
            thumbnails=not args.no_thumbnail,
            progress=progress,
            source=str(args.from_tsv),
        )
    for lookalike in result.lookalikes if args.force else []:
        print(f"warning: {lookalike} (enrolled because of --force)", file=sys.stderr)
    reasons = result.refusals_by_reason()
    if reasons:
        print(
            f"refused {len(result.refused)} photo(s): "
            + ", ".join(f"{kind} {n}" for kind, n in reasons.items()),
            file=sys.stderr,
        )
    print(
        f"enrolled {len(result.accepted)} template(s) of {result.identities} identities from "
        f"{args.from_tsv} in {args.name} (look-alike threshold {result.threshold:.3f}); "
        f"content hash {result.content_hash}"
    )
    return 0
