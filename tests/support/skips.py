"""Skip for a missing optional system part locally, but fail on CI, where .ci/run installs it:
a suite must never pass by silently skipping what it was meant to test."""

from __future__ import annotations

import os

import pytest


def require(reason: str | None) -> None:
    """`reason` is why the part is missing, or None when it is there."""
    if reason is not None:
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
