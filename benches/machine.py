"""The machine a benchmark ran on, described the same way by every bench script (they run as
`python benches/NAME.py`, so this folder is on the import path)."""

from __future__ import annotations

import os
import platform
from pathlib import Path

_SIMD_PREFIXES = ("sse4", "avx", "fma", "asimd", "sve")


def _cpuinfo(field: str) -> str | None:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith(field):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def cpu_model() -> str:
    return _cpuinfo("model name") or platform.processor() or "unknown"


def simd_flags() -> list[str]:
    flags = (_cpuinfo("flags") or _cpuinfo("Features") or "").split()
    return [f for f in flags if f.startswith(_SIMD_PREFIXES)]


def describe() -> str:
    """E.g. 'AMD EPYC x2 (simd: sse4_1 sse4_2 fma avx avx2 avx512f ...)'."""
    return f"{cpu_model()} x{os.cpu_count()} (simd: {' '.join(simd_flags()) or '?'})"
