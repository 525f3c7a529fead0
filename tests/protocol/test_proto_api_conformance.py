"""Every DaemonApi implementation in the tree has every method, async, with the protocol's
parameter names (the server calls them by position and the daemon is built in parallel)."""

from __future__ import annotations

import inspect

import pytest
from proto_support import ServedApi

from lfr.daemon.api import EngineApi
from lfr.daemon.store_api import StoreDaemonApi
from lfr.protocol.api import DaemonApi

METHODS = [
    name
    for name, _ in inspect.getmembers(DaemonApi, inspect.isfunction)
    if not name.startswith("_")
]


def test_protocol_lists_the_nine_methods() -> None:
    assert sorted(METHODS) == [
        "alert_adjudicate",
        "alerts_list",
        "alerts_since",
        "cameras_list",
        "status",
        "watchlist_publish",
        "watchlist_reload",
        "watchlist_withdraw",
        "watchlists_list",
    ]


@pytest.mark.parametrize("impl", [EngineApi, StoreDaemonApi, ServedApi])
@pytest.mark.parametrize("name", METHODS)
def test_implementation_matches(impl: type, name: str) -> None:
    ours = getattr(impl, name, None)
    assert ours is not None, f"{impl.__name__} lacks {name}"
    assert inspect.iscoroutinefunction(ours), f"{impl.__name__}.{name} must be async"
    want = list(inspect.signature(getattr(DaemonApi, name)).parameters)
    assert list(inspect.signature(ours).parameters) == want
