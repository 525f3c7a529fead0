"""docs/console.md stays true: every API endpoint the console serves is documented, with its
method, and every [console] key is described."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from lfr.config import ConsoleConfig
from lfr.console.app import VIEWS

DOC = (Path(__file__).resolve().parents[2] / "docs" / "console.md").read_text()


def test_every_api_endpoint_is_documented() -> None:
    routes = [
        (method, route.path)
        for view in VIEWS
        for route in view.ROUTES
        for method in route.methods - {"HEAD"}
        if route.path.startswith("/api/")
    ]
    assert len(routes) >= 13
    for method, path in routes:
        documented = path.replace("{n:int}", "{n}")
        assert f"`{method} {documented}" in DOC, (method, path)


def test_every_console_key_is_documented() -> None:
    for f in dataclasses.fields(ConsoleConfig):
        assert f"{f.name} = " in DOC or f"# {f.name} = " in DOC, f.name
