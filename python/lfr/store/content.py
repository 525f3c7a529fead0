"""The content hash of a watchlist and the template byte format.

Why a hash: an alert records the hash of the watchlist that raised it, the daemon's start is
audited with the hash in use, and an exported bundle carries it, so anyone can tell whether
two parties mean the same set of people and templates. It covers identity ids, labels,
categories and each template's bytes and model id, in a canonical order; it does not cover
notes, thumbnails or quality, which do not change what matches.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable

import numpy as np

_TAG = b"lfr-watchlist-content-v1\n"


def _field(h: hashlib._Hash, data: bytes) -> None:
    # Length-prefixed, so ("ab", "c") and ("a", "bc") never hash alike.
    h.update(len(data).to_bytes(8, "big"))
    h.update(data)


def content_hash(identities: Iterable[tuple[str, str, str, Iterable[tuple[bytes, str]]]]) -> str:
    """sha256 over (identity id, label, category, [(template bytes, model id)...]), identities
    sorted by id and templates by (model id, bytes)."""
    h = hashlib.sha256(_TAG)
    for identity_id, label, category, templates in sorted(identities, key=lambda i: i[0]):
        _field(h, identity_id.encode("utf-8"))
        _field(h, label.encode("utf-8"))
        _field(h, category.encode("utf-8"))
        ordered = sorted(templates, key=lambda t: (t[1], t[0]))
        h.update(len(ordered).to_bytes(8, "big"))
        for blob, model_id in ordered:
            _field(h, model_id.encode("utf-8"))
            _field(h, bytes(blob))
    return h.hexdigest()


def template_to_blob(vector: np.ndarray) -> bytes:
    """L2-normalise and store as little-endian float32. A vector that is unit length already
    keeps its exact bits, so export -> import round trips byte for byte (and hash for hash)."""
    v = np.asarray(vector, dtype=np.float32).reshape(-1)
    if v.size == 0 or not np.all(np.isfinite(v)):
        raise ValueError("a template must be a non-empty vector of finite numbers")
    norm = float(np.linalg.norm(v.astype(np.float64)))
    if not math.isfinite(norm) or norm == 0.0:
        raise ValueError("a template must not be all zeros")
    if abs(norm - 1.0) < 1e-5:
        return v.astype("<f4").tobytes()
    return (v / norm).astype("<f4").tobytes()


def blob_to_template(blob: bytes) -> np.ndarray:
    if len(blob) == 0 or len(blob) % 4:
        raise ValueError(f"template blob of {len(blob)} bytes is not a float32 vector")
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)
