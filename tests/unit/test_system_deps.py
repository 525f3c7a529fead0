"""`make test`'s system-deps step (tests/support/system_deps.py), run for real: a no-op when
everything is there, and where apt cannot run, a clear list of the tests that will skip."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from support import system_deps

SCRIPT = Path(system_deps.__file__)
PYTHON = shutil.which("python3") or sys.executable
# The one `make test` may run as another user: not behind a per-user shim (pyenv's is 0700).
SYSTEM_PYTHON = "/usr/bin/python3" if Path("/usr/bin/python3").is_file() else sys.executable


def test_with_everything_installed_it_does_nothing_quickly() -> None:
    missing = system_deps.missing_packages(system_deps.all_packages())
    t0 = time.monotonic()
    done = subprocess.run(
        [PYTHON, str(SCRIPT)], check=False, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    if not missing:  # what `make test` leaves behind wherever apt could run
        assert done.stdout == done.stderr == ""
        assert time.monotonic() - t0 < 10
    else:  # apt could not run here: it said so instead of failing
        assert system_deps.apt_unusable() is not None
        assert "skipped" in done.stderr


def test_dpkg_tells_installed_from_missing() -> None:
    if shutil.which("dpkg-query") is None:
        assert system_deps.missing_packages(["dpkg"]) == ["dpkg"]
        return
    assert system_deps.missing_packages(["lfr-no-such-package", "dpkg"]) == ["lfr-no-such-package"]


def test_without_root_it_names_the_tests_that_will_skip_and_why() -> None:
    # A folder that nobody (the user dropped to below) can read: pytest's own tmp is 0700.
    folder = Path(tempfile.mkdtemp(prefix="lfr-system-deps-"))
    folder.chmod(0o755)
    shutil.copy(SCRIPT, folder / "system_deps.py")
    (folder / "system_deps.py").chmod(0o644)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import system_deps as s; "
        "s.PACKAGES['x'] = ('the frobnication tests', ['lfr-no-such-package']); "
        "raise SystemExit(s.main())"
    )
    # As root, drop to nobody: the step must not try apt-get, and must not fail make test.
    drop = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    cmd = [*(drop if os.geteuid() == 0 else []), SYSTEM_PYTHON, "-c", code, str(folder)]
    env = {"PATH": os.environ["PATH"], "HOME": str(folder)}
    try:
        done = subprocess.run(
            cmd, check=False, capture_output=True, text=True, timeout=120, env=env
        )
    finally:
        shutil.rmtree(folder)
    assert done.returncode == 0, done.stderr
    assert "the frobnication tests: skipped (missing lfr-no-such-package)" in done.stderr
    why = "not running as root" if shutil.which("apt-get") else "not a Debian system"
    assert why in done.stderr
    assert "sudo apt-get install lfr-no-such-package" in done.stderr
