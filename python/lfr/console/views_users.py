"""Accounts, for supervisors: list, add, disable or enable. The same store calls as
`lfr users`, audited with the supervisor as the actor; a disabled account's sessions end."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from lfr.console.roles import Permission
from lfr.console.web import authorise, context, render
from lfr.store.errors import StoreError
from lfr.store.users import ROLES


async def users_page(request: Request, error: str | None = None) -> Response:
    session = await authorise(request, Permission.MANAGE_USERS)
    ctx = context(request)
    users = await ctx.blocking(ctx.store.users.all)
    return render(
        request, "users.html", session, 400 if error else 200, users=users, roles=ROLES, error=error
    )


async def add_user(request: Request) -> Response:
    session = await authorise(request, Permission.MANAGE_USERS)
    ctx = context(request)
    form = await request.form()
    name, role = str(form.get("name") or "").strip(), str(form.get("role") or "")
    password = str(form.get("password") or "")
    try:
        await ctx.blocking(lambda: ctx.store.users.add(name, role, password, actor=session.user))
    except StoreError as exc:
        return await users_page(request, error=str(exc))
    return RedirectResponse("/users", status_code=303)


async def set_disabled(request: Request) -> Response:
    session = await authorise(request, Permission.MANAGE_USERS)
    ctx = context(request)
    name = request.path_params["name"]
    disable = request.url.path.endswith("/disable")
    if disable and name == session.user:
        return await users_page(request, error="you cannot disable your own account")
    try:
        await ctx.blocking(lambda: ctx.store.users.set_disabled(name, disable, actor=session.user))
    except StoreError as exc:
        return await users_page(request, error=str(exc))
    if disable:
        ctx.sessions.end_user(name)
    return RedirectResponse("/users", status_code=303)


async def api_users(request: Request) -> Response:
    await authorise(request, Permission.MANAGE_USERS)
    ctx = context(request)
    users = await ctx.blocking(ctx.store.users.all)
    return JSONResponse(
        {"users": [{"name": u.name, "role": u.role, "disabled": u.disabled} for u in users]}
    )


ROUTES = [
    Route("/users", users_page, methods=["GET"]),
    Route("/users", add_user, methods=["POST"]),
    Route("/users/{name}/disable", set_disabled, methods=["POST"]),
    Route("/users/{name}/enable", set_disabled, methods=["POST"]),
    Route("/api/users", api_users, methods=["GET"]),
]
