"""Plain helpers for the store tests (fixtures live in conftest.py)."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from lfr.calibration import load_reference
from lfr.store import NewTemplate

# The model the shipped reference distribution belongs to, so that a watchlist of these
# (random) templates gets a calibrated threshold like a real one.
MODEL = load_reference().model_id


def cli_env(home: Path) -> dict[str, str]:
    return {**os.environ, "LFR_HOME": str(home), "LFR_ACTOR": "tester"}


def unit_vectors(n: int, dim: int = 128, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def templates(n: int, *, seed: int = 0, model: str = MODEL, dim: int = 128) -> list[NewTemplate]:
    return [
        NewTemplate(v, model, hashlib.sha256(f"{seed}-{i}".encode()).hexdigest(), 0.9)
        for i, v in enumerate(unit_vectors(n, dim, seed))
    ]


def file_sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()
