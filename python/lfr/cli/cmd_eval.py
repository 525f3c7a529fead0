"""`lfr eval pairs PAIRS.tsv --root DIR [--json]`: 1:1 verification accuracy on labelled pairs;
`lfr eval identify` (1:N, lfr.cli.eval_identify) and `lfr eval threshold`
(lfr.cli.eval_threshold) are registered here too.

Each image gives one template: when a photo shows several people, the largest face is used
(the subject is nearest the camera; see `lfr.inference.largest_face`). A pair whose image
cannot be read or shows no face is a failure, counted and listed, never silently dropped.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lfr.cli import eval_identify, eval_threshold
from lfr.cli.inference_args import add_analyzer_options, analyzer_from_args
from lfr.cli.progress import Progress
from lfr.errors import InputError, LfrError
from lfr.imageio import load_image
from lfr.inference import FaceAnalyzer, largest_face
from lfr.inference.verification import pair_metrics


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    same: bool


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = subparsers.add_parser("eval", help="measure recognition accuracy")
    sub = parser.add_subparsers(dest="eval_command", metavar="KIND", required=True)
    pairs = sub.add_parser("pairs", help="verification accuracy on a TSV of (a, b, same) pairs")
    pairs.add_argument("pairs_file", type=Path, metavar="PAIRS.tsv")
    pairs.add_argument(
        "--root", type=Path, required=True, help="directory the pair paths are relative to"
    )
    pairs.add_argument(
        "--threshold", type=float, default=None, help="cosine threshold (default: the model's)"
    )
    pairs.add_argument("--json", action="store_true")
    add_analyzer_options(pairs)
    pairs.set_defaults(func=run)
    eval_identify.register(sub)
    eval_threshold.register(sub)


def read_pairs(path: Path) -> list[Pair]:
    """Tab-separated with a header naming at least the columns a, b and same (1/0)."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh, delimiter="\t")
            missing = {"a", "b", "same"} - set(reader.fieldnames or ())
            if missing:
                raise InputError(f"{path}: header lacks column(s) {', '.join(sorted(missing))}")
            pairs = []
            for line, row in enumerate(reader, start=2):
                if row["same"] not in ("0", "1") or not row["a"] or not row["b"]:
                    raise InputError(f"{path}:{line}: need a, b and same = 0 or 1")
                pairs.append(Pair(row["a"], row["b"], row["same"] == "1"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read: {exc}") from exc
    return pairs


class TemplateCache:
    """One template per image path (pairs reuse images), or the reason there is none."""

    def __init__(self, analyzer: FaceAnalyzer, root: Path) -> None:
        self.analyzer = analyzer
        self.root = root
        self._cache: dict[str, np.ndarray | str] = {}

    def get(self, rel: str) -> np.ndarray | str:
        if rel not in self._cache:
            self._cache[rel] = self._compute(rel)
        return self._cache[rel]

    def _compute(self, rel: str) -> np.ndarray | str:
        try:
            img = load_image(self.root / rel)
        except LfrError as exc:
            return str(exc)
        face = largest_face(self.analyzer.detect(img))
        if face is None:
            return f"{rel}: no face found"
        return self.analyzer.templates(img, [face])[0]


def evaluate(
    analyzer: FaceAnalyzer,
    pairs: list[Pair],
    root: Path,
    threshold: float,
    *,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, object]:
    cache = TemplateCache(analyzer, root)
    scores, same, failures = [], [], []
    for n, p in enumerate(pairs, start=1):
        if progress is not None:
            progress(n, len(pairs))
        ta, tb = cache.get(p.a), cache.get(p.b)
        if isinstance(ta, str) or isinstance(tb, str):
            reason = "; ".join(t for t in (ta, tb) if isinstance(t, str))
            failures.append({"a": p.a, "b": p.b, "reason": reason})
            continue
        scores.append(float(ta @ tb))
        same.append(p.same)
    metrics = pair_metrics(np.array(scores), np.array(same, dtype=bool), threshold)
    out = metrics.as_dict()
    out.update(
        pairs=len(pairs), evaluated=metrics.pairs, model_id=analyzer.model_id, failures=failures
    )
    return out


def _json_safe(value: object) -> object:
    """NaN (a metric with no pairs to measure) becomes null: JSON has no NaN."""
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_safe(v) for v in value]
    return value


def run(args: argparse.Namespace) -> int:
    analyzer = analyzer_from_args(args)
    threshold = analyzer.default_threshold if args.threshold is None else args.threshold
    with Progress("eval pairs", quiet=args.json) as bar:
        result = evaluate(
            analyzer, read_pairs(args.pairs_file), args.root, threshold, progress=bar.update
        )
    if args.json:
        print(json.dumps(_json_safe(result), indent=2, allow_nan=False))
        return 0
    tar = result["tar_at_far"]
    assert isinstance(tar, dict)
    print(
        f"pairs: {result['pairs']} ({result['positives']} same, {result['negatives']} different), evaluated {result['evaluated']}"
    )
    print(f"accuracy at threshold {threshold:.3f}: {result['accuracy']:.4f}")
    print(f"best threshold {result['best_threshold']:.3f}: accuracy {result['best_accuracy']:.4f}")
    print(
        f"TAR at FAR 1e-2: {tar['1e-2']:.4f}; at FAR 1e-3: {tar['1e-3']:.4f}; ROC AUC {result['roc_auc']:.4f}"
    )
    failures = result["failures"]
    assert isinstance(failures, list)
    print(f"failures: {len(failures)}")
    for f in failures:
        print(f"  {f['a']} | {f['b']}: {f['reason']}")
    return 0
