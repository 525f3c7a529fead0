"""The demo's operator console: a one-time officer account in the demo's temporary store, so
whoever runs `lfr demo` can watch the alert arrive in a browser and adjudicate it.

The account lives and dies with the demo's data directory; its password is random and
printed once, beside the console's URL.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

OFFICER = "demo-officer"
LISTEN = "127.0.0.1:0"  # a free loopback port: the demo never collides with a real console


@dataclass(frozen=True, slots=True)
class DemoLogin:
    name: str
    password: str


def create_demo_officer(home: Path) -> DemoLogin:
    from lfr.store import Store

    login = DemoLogin(OFFICER, secrets.token_urlsafe(12))
    with Store.open(home) as store:
        store.users.add(login.name, "officer", login.password, actor="demo")
    return login


def banner(url: str, login: DemoLogin) -> str:
    return f"console {url}/  log in as {login.name} / {login.password}"
