"""Typed stubs for the Rust extension `lfr._native` (checked by `python -m mypy.stubtest`)."""

from collections.abc import Sequence as _Sequence
from typing import Literal as _Literal
from typing import SupportsIndex as _SupportsIndex
from typing import final as _final

import numpy as _np
import numpy.typing as _npt

# One name per line.
__all__ = [
    "AlertEvent",
    "Gallery",
    "NativeError",
    "Tracker",
    "__version__",
    "resize_to_blob",
    "warp_affine",
]

__version__: str

class NativeError(Exception): ...

# --- gallery (lfr-search) -------------------------------------------------------------------

@_final
class Gallery:
    """Watchlist templates per identity, searched for the best k identities per query.

    Templates and queries are L2-normalised, so scores are cosine similarities. Arrays must be
    C-contiguous float32 ``[n, dim]`` (read without copying): another dtype or a non-array is a
    TypeError; wrong shape, non-contiguous, NaN/inf, all-zero rows, k outside 1..=4096 are a
    ValueError and change nothing, as is a search whose [n, k] result would exceed 2**24
    cells (search in batches). A repeated id (in one call or across calls) adds another
    template to that identity; search returns each identity once, with its best template's score.
    An empty gallery returns empty id lists and all -inf scores.
    """

    def __new__(
        cls,
        dim: int = 128,
        *,
        storage: _Literal["f32", "int8"] = "f32",
        threads: int | None = None,
        kernel: _Literal["auto", "scalar", "avx2", "avx512", "neon"] = "auto",
    ) -> Gallery: ...
    def add(self, ids: _Sequence[str], templates: _npt.NDArray[_np.float32]) -> None: ...
    def remove(self, id: str) -> int: ...
    def search(
        self, queries: _npt.NDArray[_np.float32], k: _SupportsIndex
    ) -> tuple[list[list[str]], _npt.NDArray[_np.float32]]: ...
    def identities(self) -> list[str]: ...
    def __len__(self) -> int: ...
    @property
    def dim(self) -> int: ...
    @property
    def storage(self) -> _Literal["f32", "int8"]: ...
    @property
    def kernel(self) -> _Literal["scalar", "avx2", "avx512", "neon"]: ...
    @property
    def threads(self) -> int: ...
    @staticmethod
    def available_kernels() -> list[_Literal["scalar", "avx2", "avx512", "neon"]]: ...

# --- tracker (lfr-tracking) -----------------------------------------------------------------

@_final
class AlertEvent:
    """One alert decision for a (track, identity); frozen."""

    @property
    def kind(self) -> _Literal["alert", "alert_update"]: ...
    @property
    def track_id(self) -> int: ...
    @property
    def identity(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def hits(self) -> int: ...
    @property
    def ts(self) -> float: ...

@_final
class Tracker:
    """One camera's face tracker (ByteTrack association, Kalman motion, embed schedule,
    once-per-(track, identity) alerts with a per-identity cooldown). Bad input -> ValueError."""

    def __new__(
        cls,
        *,
        match_threshold: float = 0.363,
        min_hits: int = 2,
        cooldown_s: float = 30.0,
        n_init: int = 2,
        max_age_s: float = 1.0,
        high_score: float = 0.6,
        low_score: float = 0.3,
        iou_threshold: float = 0.3,
        reembed_interval_s: float = 2.0,
        growth_ratio: float = 1.3,
        probe_interval_s: float = 0.5,
        score_gain: float = 0.1,
        appearance_gate: float = 0.25,
        update_margin: float = 0.05,
    ) -> Tracker: ...
    def update(
        self,
        ts: float,
        boxes: _npt.ArrayLike,
        scores: _npt.ArrayLike,
        landmarks: _npt.ArrayLike,
        templates: _npt.ArrayLike | None = None,
    ) -> tuple[_npt.NDArray[_np.int64], _npt.NDArray[_np.bool_]]: ...
    def observe(
        self,
        track_id: int,
        ts: float,
        template: _npt.ArrayLike,
        ids: _Sequence[str],
        scores: _npt.ArrayLike,
    ) -> list[AlertEvent]: ...
    def active_tracks(self) -> int: ...
    def stats(self) -> dict[str, int]: ...
    def config(self) -> dict[str, float | int]: ...

# --- imaging (lfr-imaging) -------------------------------------------------------------------

def resize_to_blob(
    img: _npt.NDArray[_np.uint8],
    height: int,
    width: int,
    pad_height: int,
    pad_width: int,
) -> _npt.NDArray[_np.float32]:
    """uint8 [H, W, C] -> float32 [1, C, pad_height, pad_width]: box+bilinear resize to
    height x width, zero padding bottom/right. GIL released. `img` must be C-contiguous and
    aligned, and the blob at most 1 GiB: ValueError otherwise."""

def warp_affine(
    img: _npt.NDArray[_np.uint8],
    inverse: _npt.NDArray[_np.float32],
    size: int,
) -> _npt.NDArray[_np.uint8]:
    """uint8 [H, W, C] through float32 [n, 2, 3] inverse maps -> uint8 [n, size, size, C],
    bilinear, black outside. GIL released. Both arrays must be C-contiguous and aligned, and
    the crops at most 1 GiB: ValueError otherwise."""
