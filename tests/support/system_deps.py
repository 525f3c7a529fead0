"""The Debian packages the tests need beyond the venv, in one list: `make test` runs this file
(with the system's python3, standard library only) before pytest, and installs what is missing.

    python3 tests/support/system_deps.py

Everything present: prints nothing and exits at once (one `dpkg-query`). Something missing,
as root on Debian: `apt-get update`, then `apt-get install` of just that. Where apt cannot be
used (not root, not Debian), it installs nothing and says which tests will skip and why; the
tests then skip with the same reason (`support.skips.require`), and fail instead on CI.

To add a system dependency, add a line to PACKAGES: the packages, and what they let run.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# group -> (the tests it lets run, its Debian packages)
PACKAGES: dict[str, tuple[str, list[str]]] = {
    "rtsp": (
        "the RTSP camera tests and the RTSP demo test (GStreamer's RTSP server on loopback)",
        [
            "python3-gi",
            "python3-gst-1.0",
            "gir1.2-gst-rtsp-server-1.0",
            "gstreamer1.0-plugins-base",
            "gstreamer1.0-plugins-good",
            "gstreamer1.0-plugins-bad",
            "gstreamer1.0-plugins-ugly",
            "gstreamer1.0-libav",
        ],
    ),
    "node": ("the Node.js example client of docs/protocol.md", ["nodejs"]),
    "nats": ("the cluster tests and bench (NATS JetStream on loopback)", ["nats-server"]),
    "browser": ("the operator console's tests in a real browser (Playwright)", ["chromium"]),
}


def all_packages() -> list[str]:
    return [p for _tests, packages in PACKAGES.values() for p in packages]


def apt_unusable() -> str | None:
    """Why `apt-get install` cannot run here, or None when it can."""
    if shutil.which("apt-get") is None or shutil.which("dpkg-query") is None:
        return "this is not a Debian system (no apt-get)"
    if os.geteuid() != 0:
        return "make test is not running as root (apt-get install needs it)"
    return None


def missing_packages(packages: list[str]) -> list[str]:
    """The packages dpkg does not list as installed (all of them without dpkg)."""
    if shutil.which("dpkg-query") is None:
        return list(packages)
    out = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package} ${db:Status-Status}\\n", *packages],
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    installed = {line.split()[0] for line in out.splitlines() if line.endswith(" installed")}
    return [p for p in packages if p not in installed]


def skipped_tests(missing: list[str], why: str) -> str:
    """What will not run, and why: one line per group with a missing package."""
    lines = []
    for tests, packages in PACKAGES.values():
        lacking = [p for p in packages if p in missing]
        if lacking:
            lines.append(f"  {tests}: skipped (missing {' '.join(lacking)})")
    return (
        f"make test: cannot install Debian packages: {why}.\n"
        + "\n".join(lines)
        + f"\n  to run them: sudo apt-get install {' '.join(missing)}"
    )


def install(missing: list[str]) -> int:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    print(f"make test: installing {' '.join(missing)}", flush=True)
    for cmd in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", *missing],
    ):
        done = subprocess.run(cmd, env=env, check=False)
        if done.returncode != 0:
            print(f"make test: `{' '.join(cmd)}` failed ({done.returncode})", file=sys.stderr)
            return done.returncode
    return 0


def main() -> int:
    missing = missing_packages(all_packages())
    if not missing:
        return 0
    why = apt_unusable()
    if why is not None:
        print(skipped_tests(missing, why), file=sys.stderr)
        return 0
    return install(missing)


if __name__ == "__main__":
    sys.exit(main())
