"""Typed stubs for the Rust extension `lfr._native` (checked by `python -m mypy.stubtest`)."""

# One name per line: the gallery and tracker work each add theirs.
__all__ = [
    "__version__",
    "NativeError",
]

__version__: str

class NativeError(Exception): ...

# --- gallery (lfr-search) -------------------------------------------------------------------

# --- tracker (lfr-tracking) -----------------------------------------------------------------
