"""Logging in and out, and the unauthenticated health check.

The login form has its own CSRF token (double-submitted: a SameSite=Strict cookie and a form
field that must match), so another site cannot log a browser in under an account it chose.
Wrong passwords are throttled per name and per client (`lfr.console.throttle`); every login,
failed login and logout is audited.
"""

from __future__ import annotations

import secrets

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from lfr.console.throttle import login_keys
from lfr.console.web import authorise, context, render

LOGIN_COOKIE = "lfr_login"


def _next(raw: object) -> str:
    """Only a path on this site (never `//host` or a URL): no open redirect."""
    text = raw if isinstance(raw, str) else ""
    ok = text.startswith("/") and not text.startswith("//") and "\\" not in text
    return text if ok else "/"


def _login_page(request: Request, status: int = 200, error: str | None = None) -> Response:
    ctx = context(request)
    token = secrets.token_urlsafe(24)
    response = render(
        request,
        "login.html",
        None,
        status,
        login_csrf=token,
        next=_next(request.query_params.get("next") or request.path_params.get("next")),
        error=error,
    )
    response.set_cookie(
        LOGIN_COOKIE, token, httponly=True, samesite="strict", secure=ctx.tls, path="/login"
    )
    return response


async def login_form(request: Request) -> Response:
    return _login_page(request)


async def login(request: Request) -> Response:
    ctx = context(request)
    form = await request.form()
    name = str(form.get("name") or "").strip()
    password = str(form.get("password") or "")
    sent, expected = form.get("csrf_token"), request.cookies.get(LOGIN_COOKIE)
    if not expected or not isinstance(sent, str) or not secrets.compare_digest(sent, expected):
        return _login_page(request, 403, "The login form expired; try again.")
    client = request.client.host if request.client else None
    keys = login_keys(name, client)
    wait = ctx.throttle.wait_s(keys)
    if wait > 0:
        page = _login_page(
            request, 429, f"Too many wrong passwords: try again in {int(wait) + 1} s."
        )
        page.headers["Retry-After"] = str(int(wait) + 1)
        return page
    user = await ctx.blocking(ctx.store.users.authenticate, name, password) if name else None
    if user is None:
        ctx.throttle.failed(keys)
        await ctx.blocking(
            ctx.store.audit.append,
            "console.login_failed",
            "console",
            {"user": name[:64], "client": client},
        )
        return _login_page(request, 401, "Wrong name or password, or the account is disabled.")
    ctx.throttle.succeeded(keys)
    token, _session = ctx.sessions.open(user.name, user.role)
    await ctx.blocking(
        ctx.store.audit.append, "console.login", user.name, {"role": user.role, "client": client}
    )
    response = RedirectResponse(_next(form.get("next")), status_code=303)
    response.set_cookie(
        ctx.cookie, token, httponly=True, samesite="strict", secure=ctx.tls, path="/"
    )
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


async def logout(request: Request) -> Response:
    ctx = context(request)
    session = await authorise(request)
    ctx.sessions.close(session)
    await ctx.blocking(ctx.store.audit.append, "console.logout", session.user, {})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(ctx.cookie, path="/")
    return response


async def healthz(request: Request) -> Response:
    return JSONResponse({"ok": True})


ROUTES = [
    Route("/login", login_form, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/healthz", healthz, methods=["GET"]),
]
