"""Hand the C heap's free pages back to the kernel now and then.

Twelve decoders, ONNX Runtime and numpy allocate frame-sized buffers from glibc's per-thread
arenas. Freed, those pages stay with their arena, scattered between live chunks, so a daemon's
resident memory creeps up for its first half hour or more: in a 12-camera daemon, 17 arenas
held 478 of its 590 MiB (`/proc/PID/smaps`), and the process grew 43 MiB over 30 minutes with
no Python object growing. `malloc_trim(0)` returns every whole free page of every arena to the
kernel (`MADV_DONTNEED`), in milliseconds. Other C libraries (musl, macOS) have no such call:
there it does nothing.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Callable

TRIM_EVERY_S = 60.0


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return trim  # type: ignore[no-any-return]


def release_free_memory() -> bool:
    """Give the C heap's free pages back (blocking, briefly: a worker thread). True when the
    C library released any; False when it had none or has no such call."""
    trim = _malloc_trim()
    return bool(trim(0)) if trim is not None else False
