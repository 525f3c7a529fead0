"""The package imports without side effects and exposes the native module."""

from __future__ import annotations

import subprocess
import sys


def test_native_module_loads() -> None:
    import tomllib
    from importlib.metadata import version
    from pathlib import Path

    import lfr
    from lfr import _native

    cargo = tomllib.loads((Path(__file__).parents[2] / "Cargo.toml").read_text())
    # One version: the Cargo workspace's, compiled into the extension and the wheel metadata.
    assert lfr.__version__ == _native.__version__ == cargo["workspace"]["package"]["version"]
    assert version("lfr") == lfr.__version__
    assert issubclass(_native.NativeError, Exception)


def test_import_touches_no_files(tmp_path) -> None:
    # Pointing every lfr location at an empty folder, importing the package must create nothing.
    env = {
        "LFR_HOME": str(tmp_path / "home"),
        "LFR_MODELS_DIR": str(tmp_path / "models"),
        "PATH": "/usr/bin:/bin",
    }
    subprocess.run(
        [sys.executable, "-c", "import lfr, lfr._native, lfr.paths, lfr.errors"],
        check=True,
        env=env,
    )
    assert list(tmp_path.iterdir()) == []
