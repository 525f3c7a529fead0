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
    """A track's decision: "alert" once, "alert_update" (revision 1, 2, ...) when its evidence
    later favours another identity; frozen."""

    @property
    def kind(self) -> _Literal["alert", "alert_update"]: ...
    @property
    def track_id(self) -> int: ...
    @property
    def identity(self) -> str: ...
    @property
    def previous_identity(self) -> str | None: ...
    @property
    def score(self) -> float: ...
    @property
    def runner_up(self) -> float | None: ...
    @property
    def templates(self) -> int: ...
    @property
    def revision(self) -> int: ...
    @property
    def ts(self) -> float: ...
    @property
    def track_started(self) -> float: ...
    @property
    def index(self) -> int: ...

@_final
class Tracker:
    """One camera's face tracker (ByteTrack association, Kalman motion, embed schedule) and
    its decision per track: the quality-weighted mean of a track's templates, searched in the
    watchlist, alerts once it clears the threshold with a margin over the runner-up identity;
    at most one alert per track, revised when the evidence moves; a per-identity cooldown.
    Bad input -> ValueError (an unknown setting -> TypeError)."""

    def __new__(cls, **overrides: float) -> Tracker:
        """Keyword overrides on top of `Tracker.defaults()`."""
    @staticmethod
    def defaults() -> dict[str, float]:
        """Every setting and its default (ints for integer settings)."""
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
        ts: float,
        track_ids: _npt.ArrayLike,
        templates: _npt.ArrayLike,
        weights: _npt.ArrayLike,
        gallery: Gallery,
        threshold: float,
    ) -> tuple[list[AlertEvent], int]:
        """Fold templates [m, dim] of `track_ids` [m] weighted by `weights` [m] into their
        tracks, search `gallery` with each fused template and decide at `threshold`. Returns
        the alerts and revisions raised and how many templates left their track below the
        threshold (or found it ended). GIL released."""
    def active_tracks(self) -> int: ...
    def tracks_holding_templates(self) -> int: ...
    def stats(self) -> dict[str, int]: ...
    def config(self) -> dict[str, float]: ...

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
