"""The bare-machine demo subject: NASA's public-domain portrait of astronaut Eileen Collins,
as shipped in scikit-image's wheel (`skimage/data/astronaut.png`).

Fetched like the models: one pinned wheel from PyPI through pip, its sha256 checked, then the
one member's sha256, written atomically into the asset cache. scikit-image is not a
dependency: only this PNG is kept. The wheel is pinned for one platform, whatever the host,
so its hash is the same everywhere (the PNG inside is all we read).
"""

from __future__ import annotations

import tempfile
import zipfile
from pathlib import Path

from lfr.assets.errors import FetchError
from lfr.assets.fetch import (
    atomic_write,
    check_hash,
    fetch_lock,
    pip_download,
    sha256_bytes,
    sha256_file,
)
from lfr.paths import models_dir

REQUIREMENT = "scikit-image==0.25.2"
WHEEL = "scikit_image-0.25.2-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
WHEEL_SHA256 = "24cc986e1f4187a12aa319f777b36008764e856e5013666a4a83f8df083c2641"
MEMBER = "skimage/data/astronaut.png"
MEMBER_SHA256 = "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
_PLATFORM_ARGS = (
    "--platform",
    "manylinux_2_17_x86_64",
    "--python-version",
    "3.11",
    "--implementation",
    "cp",
)


def astronaut_png(cache: Path | None = None) -> Path:
    """The verified portrait, fetched on first use."""
    cache = (cache or models_dir()) / "assets"
    path = cache / "astronaut.png"
    if path.is_file() and sha256_file(path) == MEMBER_SHA256:
        return path
    with fetch_lock(cache):
        if path.is_file() and sha256_file(path) == MEMBER_SHA256:
            return path
        with tempfile.TemporaryDirectory(prefix="lfr-asset-") as tmp:
            wheel = pip_download(REQUIREMENT, WHEEL, Path(tmp), extra_args=_PLATFORM_ARGS)
            check_hash(WHEEL, sha256_file(wheel), WHEEL_SHA256)
            try:
                with zipfile.ZipFile(wheel) as zf:
                    data = zf.read(MEMBER)
            except (zipfile.BadZipFile, KeyError) as exc:
                raise FetchError(f"{WHEEL}: {MEMBER} not readable: {exc}") from exc
        check_hash(f"{WHEEL}!{MEMBER}", sha256_bytes(data), MEMBER_SHA256)
        atomic_write(path, data)
    return path
