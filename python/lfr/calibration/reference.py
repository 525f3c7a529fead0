"""The model's reference distributions, shipped beside the model manifest.

`models/manifest.toml` names, under `[models.embedder]`, the file (`reference`) and its sha256
(`reference_sha256`): a JSON file of scores only (no image, no template), computed from the
LFW slice by the command it records (`benches/calibrate_reference.py`). Two distributions:

- `still`: one photo against one enrolled photo of another person: what a search with a still
  photo meets (`lfr eval identify`, `lfr eval threshold`);
- `track`: what the per-track decision meets: a person's templates fused as they arrive and
  re-scored after each, against another person's enrolled photo, the highest score of the
  re-scorings counting.

The file is tied to one model id: scores of another model live in another space, so using
its reference would set meaningless thresholds.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lfr.assets.manifest import load_manifest, manifest_path
from lfr.calibration.distribution import Distribution
from lfr.errors import LfrError


class CalibrationError(LfrError):
    """No usable reference distribution: missing, altered, or for another model."""


@dataclass(frozen=True)
class Reference:
    model_id: str
    command: str
    source: dict[str, Any]
    distributions: dict[str, Distribution]
    checks: dict[str, Any]

    def distribution(self, name: str) -> Distribution:
        try:
            return self.distributions[name]
        except KeyError:
            raise CalibrationError(f"the reference has no {name!r} distribution") from None

    @property
    def still(self) -> Distribution:
        return self.distribution("still")

    @property
    def track(self) -> Distribution:
        return self.distribution("track")


def reference_path() -> tuple[Path, str]:
    """The reference file the manifest names, and the sha256 it trusts."""
    manifest = load_manifest()
    extra = manifest.embedder.extra
    name, digest = extra.get("reference"), extra.get("reference_sha256")
    if not isinstance(name, str) or not isinstance(digest, str):
        raise CalibrationError(
            "the models manifest names no reference distribution for the embedder "
            "([models.embedder] reference, reference_sha256)"
        )
    return manifest_path().parent / name, digest


def load_reference(
    model_id: str | None = None, path: Path | None = None, sha256: str | None = None
) -> Reference:
    """The reference for `model_id` (checked when given): the manifest's, or the file at
    `path` (checked against `sha256` when given), e.g. a new calibration under review."""
    if path is not None:
        return _parse(path, sha256, model_id)
    default, digest = reference_path()
    return _cached(str(default), digest, model_id)


@functools.lru_cache(maxsize=4)
def _cached(path: str, digest: str, model_id: str | None) -> Reference:
    return _parse(Path(path), digest, model_id)


def _parse(path: Path, digest: str | None, model_id: str | None) -> Reference:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CalibrationError(f"reference distribution {path}: {exc.strerror}") from exc
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise CalibrationError(
            f"reference distribution {path} does not match the sha256 in the models manifest: "
            "it was changed; restore it or recompute it with benches/calibrate_reference.py"
        )
    try:
        raw = json.loads(data)
        ref = Reference(
            model_id=str(raw["model_id"]),
            command=str(raw["command"]),
            source=dict(raw["source"]),
            distributions={
                name: Distribution.from_dict(name, d) for name, d in raw["distributions"].items()
            },
            checks=dict(raw.get("checks", {})),
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CalibrationError(f"reference distribution {path} is malformed: {exc}") from exc
    if model_id is not None and ref.model_id != model_id:
        raise CalibrationError(
            f"the reference distribution was computed for {ref.model_id}, not {model_id}: "
            "thresholds cannot be calibrated; set one explicitly or recompute the reference"
        )
    return ref
