"""The pinned model manifest (`models/manifest.toml`), parsed into typed records.

WHY a file and not constants in code: the manifest is what an auditor reads to learn where the
models came from, what was done to them and which hashes are trusted; the code reads the very
same file, so the two can never drift apart.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from lfr.assets.errors import AssetError

_REPO_MANIFEST = Path(__file__).resolve().parents[3] / "models" / "manifest.toml"
_PACKAGED_MANIFEST = Path(__file__).resolve().parent / "manifest.toml"


@dataclass(frozen=True)
class SourceSpec:
    package: str
    version: str
    wheel: str
    sha256: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    role: str  # "detector" | "embedder"
    name: str
    licence: str
    source_path: str
    source_sha256: str
    conversion: str
    file: str
    sha256: str
    input: str
    extra: dict[str, object]


@dataclass(frozen=True)
class Manifest:
    source: SourceSpec
    models: dict[str, ModelSpec]

    @property
    def detector(self) -> ModelSpec:
        return self.models["detector"]

    @property
    def embedder(self) -> ModelSpec:
        return self.models["embedder"]


def manifest_path() -> Path:
    """The repository's models/manifest.toml; a copy inside the package (for wheels) else."""
    return _REPO_MANIFEST if _REPO_MANIFEST.is_file() else _PACKAGED_MANIFEST


def _take(table: dict[str, object], key: str, where: str) -> str:
    value = table.pop(key, None)
    if not isinstance(value, str) or not value:
        raise AssetError(f"models manifest: {where}.{key} missing or not a string")
    return value


def load_manifest(path: Path | None = None) -> Manifest:
    path = path or manifest_path()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise AssetError(f"models manifest {path}: {exc}") from exc
    src = dict(raw.get("source", {}))
    source = SourceSpec(
        package=_take(src, "package", "source"),
        version=_take(src, "version", "source"),
        wheel=_take(src, "wheel", "source"),
        sha256=_take(src, "sha256", "source"),
    )
    models: dict[str, ModelSpec] = {}
    for role in ("detector", "embedder"):
        table = dict(raw.get("models", {}).get(role, {}))
        where = f"models.{role}"
        models[role] = ModelSpec(
            role=role,
            name=_take(table, "name", where),
            licence=_take(table, "licence", where),
            source_path=_take(table, "source_path", where),
            source_sha256=_take(table, "source_sha256", where),
            conversion=_take(table, "conversion", where),
            file=_take(table, "file", where),
            sha256=_take(table, "sha256", where),
            input=_take(table, "input", where),
            extra=table,
        )
    return Manifest(source=source, models=models)
