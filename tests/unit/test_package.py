"""The package imports without side effects and exposes the native module."""

from __future__ import annotations

import subprocess
import sys


def test_native_module_loads() -> None:
    from lfr import _native

    assert _native.__version__ == "0.1.0"
    assert issubclass(_native.NativeError, Exception)


def test_import_touches_no_files(tmp_path) -> None:
    # Pointing every lfr location at an empty folder, importing the package must create nothing.
    env = {"LFR_HOME": str(tmp_path / "home"), "LFR_MODELS_DIR": str(tmp_path / "models"),
           "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-c", "import lfr, lfr._native, lfr.paths, lfr.errors"],
                   check=True, env=env)
    assert list(tmp_path.iterdir()) == []
