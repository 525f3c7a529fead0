"""What every console handler shares: the context it serves from, who is asking and whether
they may, and how a page or a refusal is rendered.

`authorise` is the one gate: it finds the session from the cookie, refuses a disabled
account, checks the role's permission and, for any state-changing method, the session's CSRF
token. A refusal is a `Denied`; the app answers it as JSON under `/api/` (401, 403) and, on a
page, as a redirect to the login page (401) or an error page (403).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import jinja2
import trio
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse

from lfr.console.roles import Permission, allowed
from lfr.console.sessions import COOKIE, TLS_COOKIE, Session, SessionBook
from lfr.console.throttle import LoginThrottle
from lfr.store.users import UserNotFound

if TYPE_CHECKING:
    from lfr.console.feed import ConsoleFeed
    from lfr.protocol.hub import EventHub
    from lfr.store import Store
    from lfr.store.alerts import Alert

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FILES = 10  # photos in one upload
MAX_PART_BYTES = 10 * 1024 * 1024 + 1024  # one photo (10 MiB) and its part headers
TEMPLATES = Path(__file__).parent / "templates"
NAV: tuple[tuple[str, str, Permission], ...] = (
    ("/", "Live", Permission.LIVE),
    ("/cameras", "Cameras", Permission.CAMERAS),
    ("/alerts", "Alerts", Permission.ALERTS),
    ("/watchlists", "Watchlists", Permission.WATCHLISTS),
    ("/report", "Report", Permission.REPORT),
    ("/audit", "Audit", Permission.AUDIT),
    ("/users", "Users", Permission.MANAGE_USERS),
)


class DaemonView(Protocol):
    """What the console asks of the running daemon (the socket's `DaemonApi` has it all)."""

    def wire(self, alert: Alert) -> dict[str, Any]: ...

    async def cameras_list(self) -> Sequence[Mapping[str, Any]]: ...

    async def alerts_since(self, seq: int, limit: int) -> Sequence[Mapping[str, Any]]: ...

    async def watchlist_reload(self, name: str | None) -> Mapping[str, Any]: ...

    def verdict_recorded(self, judged: Mapping[str, Any]) -> None: ...


class Denied(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ConsoleContext:
    store: Store
    daemon: DaemonView
    hub: EventHub
    feed: ConsoleFeed
    sessions: SessionBook
    tls: bool = False
    analyzer: Any = None  # the daemon's face models, for enrolment from uploaded photos
    throttle: LoginThrottle = field(default_factory=LoginThrottle)
    started: float = field(default_factory=time.time)
    jinja: jinja2.Environment = field(
        default_factory=lambda: jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
    )

    @property
    def cookie(self) -> str:
        return TLS_COOKIE if self.tls else COOKIE

    async def blocking(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Store work in a worker thread: the trio loop also serves cameras and the socket."""
        return await trio.to_thread.run_sync(fn, *args)


def context(request: Request) -> ConsoleContext:
    ctx: ConsoleContext = request.app.state.ctx
    return ctx


async def authorise(
    request: Request, permission: Permission | None = None, *, touch: bool = True
) -> Session:
    """The caller's session, if it may do `permission`; a `Denied` (401/403) otherwise."""
    ctx = context(request)
    session = ctx.sessions.get(request.cookies.get(ctx.cookie), touch=touch)
    if session is None:
        raise Denied(401, "log in first (no session, or it expired)")
    try:
        user = await ctx.blocking(ctx.store.users.get, session.user)
    except UserNotFound:
        user = None
    if user is None or user.disabled:
        ctx.sessions.end_user(session.user)
        raise Denied(401, "this account is disabled")
    if permission is not None and not allowed(session.role, permission):
        article = "an" if session.role[:1] in "aeiou" else "a"
        raise Denied(403, f"{article} {session.role} may not {permission.value}")
    if request.method not in SAFE_METHODS and not session.csrf_ok(await _csrf_sent(request)):
        raise Denied(403, "missing or wrong CSRF token; reload the page")
    return session


async def _csrf_sent(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    kind = request.headers.get("content-type", "")
    if kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        # The first parse is cached for the handler: it must allow the uploads' sizes.
        form = await request.form(max_files=MAX_FILES, max_part_size=MAX_PART_BYTES)
        value = form.get("csrf_token")
        return value if isinstance(value, str) else None
    return None


def render(
    request: Request,
    template: str,
    session: Session | None,
    code: int = 200,
    **values: Any,
) -> HTMLResponse:
    ctx = context(request)
    nav = [(href, text) for href, text, perm in NAV if session and allowed(session.role, perm)]
    html = ctx.jinja.get_template(template).render(
        session=session,
        nav=nav,
        path=request.url.path,
        csrf=session.csrf if session else "",
        **values,
    )
    return HTMLResponse(html, status_code=code)


def can(session: Session, permission: Permission) -> bool:
    return allowed(session.role, permission)


def json_error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def int_param(request: Request, name: str, default: int | None = None) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise Denied(400, f"{name} must be an integer, got {raw!r}") from None


def text_param(request: Request, name: str) -> str | None:
    raw = request.query_params.get(name)
    return raw.strip() or None if raw is not None else None


Handler = Callable[[Request], Awaitable[Any]]
