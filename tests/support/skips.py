"""Skip for a missing part only where nothing could have provided it, and fail on CI: a suite
must never pass by silently skipping what it was meant to test."""

from __future__ import annotations

import os

import pytest

from support.system_deps import apt_unusable


def require(reason: str | None) -> None:
    """`reason` is why the part is missing, or None when it is there."""
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


def require_package(reason: str | None) -> None:
    """For a part in `system_deps.PACKAGES`: `make test` installs it wherever apt can run, so
    it is missing for a reason worth saying only where apt cannot (not root, not Debian)."""
    if reason is None:
        return
    why = apt_unusable()
    if why is None or os.environ.get("CI"):
        pytest.fail(
            f"{reason}: `make test` installs it (tests/support/system_deps.py lists it); "
            "run `python3 tests/support/system_deps.py` to install it"
        )
    pytest.skip(f"{reason}; not installed because {why}")
