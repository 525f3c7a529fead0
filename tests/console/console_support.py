"""Helpers for the console tests: a real console (Hypercorn on a loopback port) over a real
store and hub, an HTTP client that logs in like a browser, and alerts raised the daemon's way
(persisted first, then published on the hub)."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import trio

from lfr.config import ConsoleConfig
from lfr.console import ConsoleActor, SessionBook, console_actor
from lfr.daemon.store_api import StoreDaemonApi
from lfr.protocol.hub import EventHub
from lfr.store import AlertRecord, Store

PASSWORD = "correct horse battery"
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_META = re.compile(r'<meta name="csrf-token" content="([^"]*)">')


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Console:
    url: str
    store: Store
    hub: EventHub
    api: StoreDaemonApi
    actor: ConsoleActor
    clock: FakeClock

    def emit(self, identity: str = "id-1", camera: str = "cam1", score: float = 0.7) -> dict:
        record = AlertRecord(camera, time.time(), "wl", "h" * 64, identity, score, 0.363, 1, b"x")
        wire = self.api.wire(self.store.alerts.record(record))
        self.hub.publish("alerts", wire, seq=wire["seq"])
        return wire

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(base_url=self.url, follow_redirects=False, timeout=10)


async def start_console(nursery: trio.Nursery, home: Path) -> Console:
    store = Store.open(home)
    hub = EventHub()
    api = StoreDaemonApi(store, on_verdict=lambda a: hub.publish("verdicts", a))
    actor = console_actor(ConsoleConfig(listen="127.0.0.1:0"), store, api, hub)
    clock = FakeClock()
    actor.ctx.sessions = SessionBook(idle_s=600, max_s=3600, clock=clock)
    if not any(w.name == "wl" for w in store.watchlists.all()):
        store.watchlists.create("wl", actor="test", purpose="console tests")
    for name, role in (("olive", "officer"), ("sam", "supervisor"), ("aud", "auditor")):
        store.users.add(name, role, PASSWORD, actor="test")
    await nursery.start(actor.run)
    return Console(actor.url, store, hub, api, actor, clock)


async def login(client: httpx.AsyncClient, name: str, password: str = PASSWORD) -> httpx.Response:
    page = await client.get("/login")
    match = _CSRF.search(page.text)
    assert match, page.text
    return await client.post(
        "/login", data={"name": name, "password": password, "csrf_token": match.group(1)}
    )


@asynccontextmanager
async def logged_in(console: Console, name: str) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    """A client with a session of `name`, and that session's CSRF token."""
    async with console.client() as client:
        response = await login(client, name)
        assert response.status_code == 303, response.text
        page = await client.get("/watchlists")
        match = _META.search(page.text)
        assert match and match.group(1)
        yield client, match.group(1)
