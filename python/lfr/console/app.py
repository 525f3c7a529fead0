"""The console's ASGI application: routes, refusals, and the headers every response carries.

Every response is `Cache-Control: no-store` (pages and images show faces; a shared computer's
cache must not keep them), forbids framing and MIME sniffing, sends no referrer, and allows
scripts, styles and images from this origin only (no inline script: the page's JS is a file).
Only the static files (script, style, icon), which show nothing about anyone, may be cached.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lfr.console import (
    views_alerts,
    views_audit,
    views_auth,
    views_live,
    views_report,
    views_users,
    views_watchlists,
)
from lfr.console.web import ConsoleContext, Denied, context, json_error, render

STATIC = Path(__file__).parent / "static"
HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; "
        b"connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
]


class SecurityHeaders:
    """Pure ASGI (streams pass through untouched), so the event stream is not buffered."""

    def __init__(self, app: ASGIApp, *, tls: bool) -> None:
        self.app = app
        self.tls = tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    (k, v) for k, v in message.get("headers", []) if k.lower() != b"cache-control"
                ]
                headers += HEADERS
                headers.append(
                    (b"cache-control", b"private, max-age=300" if static else b"no-store")
                )
                if self.tls:
                    headers.append((b"strict-transport-security", b"max-age=31536000"))
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def _denied(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Denied)
    if request.url.path.startswith("/api/"):
        return json_error(exc.status, exc.message)
    if exc.status == 401:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    ctx = context(request)
    session = ctx.sessions.get(request.cookies.get(ctx.cookie), touch=False)
    return render(
        request, "error.html", session, exc.status, status=exc.status, message=exc.message
    )


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return await _denied(request, Denied(exc.status_code, str(exc.detail)))


# The console's pages and API, one module each, in routing order (docs/console.md is tested
# against their routes).
VIEWS = (
    views_auth,
    views_live,
    views_alerts,
    views_watchlists,
    views_report,
    views_audit,
    views_users,
)


def build_app(ctx: ConsoleContext) -> Any:
    routes = [
        *(route for view in VIEWS for route in view.ROUTES),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    app = Starlette(routes=routes, exception_handlers={Denied: _denied, HTTPException: _http_error})
    app.state.ctx = ctx
    return SecurityHeaders(app, tls=ctx.tls)
