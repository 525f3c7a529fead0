"""Command-line options shared by the commands that run the face models (probe, eval)."""

from __future__ import annotations

import argparse
from pathlib import Path

from lfr.inference import FaceAnalyzer


def add_analyzer_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("models")
    group.add_argument(
        "--models-dir",
        type=Path,
        default=None,
        help="model cache (default: $LFR_MODELS_DIR or the user cache)",
    )
    group.add_argument(
        "--threads",
        type=int,
        default=None,
        help="ONNX Runtime intra-op threads per model (default: 1)",
    )
    group.add_argument(
        "--providers",
        default=None,
        help="comma-separated ORT execution providers (default: CUDA if available, else CPU)",
    )
    group.add_argument(
        "--det-size",
        type=int,
        default=640,
        help="detector input's longest side, a multiple of 32 (default 640)",
    )


def analyzer_from_args(args: argparse.Namespace) -> FaceAnalyzer:
    providers = (
        [p.strip() for p in args.providers.split(",") if p.strip()] if args.providers else None
    )
    return FaceAnalyzer.create(
        models_dir=args.models_dir,
        threads=args.threads,
        providers=providers,
        det_size=args.det_size,
    )
