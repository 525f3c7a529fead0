"""Watchlists: what each one is for and on whose authority, who is on it, and (supervisors
only) creating one and enrolling people from uploaded photos.

An upload goes through the same enrolment as `lfr watchlist add`: the quality gate's reasons
and the look-alike warning come back to the supervisor as they are; a look-alike can be
enrolled anyway only by ticking "enrol anyway", which the audit trail records like `--force`.
Uploaded photos live in a private temporary folder for the length of the request only. After
a change the daemon reloads that watchlist, so the cameras match what the page shows.
"""

from __future__ import annotations

import re
import tempfile
import time
from pathlib import Path
from typing import Any

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from lfr.console.roles import Permission
from lfr.console.sessions import Session
from lfr.console.web import (
    MAX_FILES,
    MAX_PART_BYTES,
    Denied,
    authorise,
    can,
    context,
    render,
)
from lfr.errors import LfrError
from lfr.store.browse import identity_photos
from lfr.store.errors import IdentityNotFound, StoreError, WatchlistNotFound
from lfr.store.watchlist_records import WatchlistInfo

MAX_PHOTO_BYTES = 10 * 1024 * 1024
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def watchlist_json(info: WatchlistInfo, now: float) -> dict[str, Any]:
    try:
        calibration = info.calibration()
        threshold, source = calibration.threshold, "calibrated"
        if info.threshold is not None:
            source = "fixed on the watchlist"
    except LfrError as exc:
        threshold, source = None, f"unknown: {exc}"
    return {
        "name": info.name,
        "purpose": info.purpose,
        "authorised_by": info.authorised_by,
        "legal_basis": info.legal_basis,
        "created_at": info.created_at,
        "expires_at": info.expires_at,
        "expires_in_s": None if info.expires_at is None else max(0.0, info.expires_at - now),
        "expired": info.expired(now),
        "content_hash": info.content_hash,
        "identities": info.identities,
        "templates": info.templates,
        "target_fpir": info.target_fpir,
        "threshold": threshold,
        "threshold_source": source,
    }


async def _watchlists(request: Request) -> list[dict[str, Any]]:
    ctx = context(request)
    infos = await ctx.blocking(ctx.store.watchlists.all)
    now = time.time()
    return [watchlist_json(i, now) for i in infos]


async def _one(request: Request, name: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    ctx = context(request)

    def read() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        info = ctx.store.watchlists.get(name)
        people = [
            {
                "identity_id": i.identity_id,
                "label": i.label,
                "category": i.category,
                "photos": i.templates,
                "created_at": i.created_at,
            }
            for i in ctx.store.watchlists.identities(name)
        ]
        return watchlist_json(info, time.time()), people

    try:
        result: tuple[dict[str, Any], list[dict[str, Any]]] = await ctx.blocking(read)
    except WatchlistNotFound:
        raise Denied(404, f"no watchlist {name!r}") from None
    return result


async def watchlists_page(request: Request, error: str | None = None) -> Response:
    session = await authorise(request, Permission.WATCHLISTS)
    return render(
        request,
        "watchlists.html",
        session,
        400 if error else 200,
        watchlists=await _watchlists(request),
        manage=can(session, Permission.MANAGE_WATCHLISTS),
        error=error,
    )


async def watchlist_page(request: Request) -> Response:
    session = await authorise(request, Permission.WATCHLISTS)
    return await _render_one(request, session)


async def _render_one(
    request: Request, session: Session, status: int = 200, **outcome: Any
) -> Response:
    watchlist, people = await _one(request, request.path_params["name"])
    return render(
        request,
        "watchlist.html",
        session,
        status,
        watchlist=watchlist,
        people=people,
        faces=can(session, Permission.FACES),
        manage=can(session, Permission.MANAGE_WATCHLISTS),
        outcome=outcome,
    )


def _expiry(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    from datetime import datetime

    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        raise Denied(400, f"expires: not a date and time: {text!r}") from None


async def create_watchlist(request: Request) -> Response:
    session = await authorise(request, Permission.MANAGE_WATCHLISTS)
    ctx = context(request)
    form = await request.form()
    fields = {k: str(form.get(k) or "").strip() for k in ("name", "purpose", "authorised_by")}
    fields["legal_basis"] = str(form.get("legal_basis") or "").strip()
    try:
        target = float(str(form.get("target_fpir") or "0.0001"))
        expires = _expiry(str(form.get("expires") or ""))
        await ctx.blocking(
            lambda: ctx.store.watchlists.create(
                fields["name"],
                actor=session.user,
                purpose=fields["purpose"],
                authorised_by=fields["authorised_by"],
                legal_basis=fields["legal_basis"],
                expires_at=expires,
                target_fpir=target,
            )
        )
    except (StoreError, ValueError, Denied) as exc:
        return await watchlists_page(request, error=str(exc))
    return RedirectResponse(f"/watchlists/{fields['name']}", status_code=303)


async def _save_uploads(photos: list[Any], folder: Path) -> list[Path]:
    paths = []
    for i, photo in enumerate(photos):
        if not isinstance(photo, UploadFile) or not photo.filename:
            continue
        data = await photo.read(MAX_PHOTO_BYTES + 1)
        if len(data) > MAX_PHOTO_BYTES:
            raise Denied(413, f"{photo.filename}: larger than {MAX_PHOTO_BYTES >> 20} MiB")
        path = folder / f"{i + 1}-{_SAFE.sub('_', photo.filename)[-80:]}"
        path.write_bytes(data)
        paths.append(path)
    return paths


async def add_identity(request: Request) -> Response:
    session = await authorise(request, Permission.MANAGE_WATCHLISTS)
    ctx = context(request)
    name = request.path_params["name"]
    form = await request.form(max_files=MAX_FILES, max_part_size=MAX_PART_BYTES)
    identity = str(form.get("identity_id") or "").strip()
    if ctx.analyzer is None:
        return await _render_one(request, session, 503, error="no face models loaded here")
    with tempfile.TemporaryDirectory(prefix="lfr-upload-") as tmp:
        paths = await _save_uploads(form.getlist("photos"), Path(tmp))
        if not paths:
            return await _render_one(request, session, 400, error="choose at least one photo")

        def enrol_now() -> Any:
            from lfr.watchlist.enrol import enrol

            return enrol(
                ctx.store,
                ctx.analyzer,
                name,
                identity,
                paths,
                actor=session.user,
                label=str(form.get("label") or "").strip() or None,
                category=str(form.get("category") or "").strip() or None,
                largest=form.get("largest") == "on",
                force=form.get("force") == "on",
            )

        try:
            result = await ctx.blocking(enrol_now)
        except LfrError as exc:
            message = str(exc).replace(f"{tmp}/", "")
            lookalike = message.startswith("look-alike")
            return await _render_one(request, session, 422, error=message, lookalike=lookalike)
    await ctx.daemon.watchlist_reload(name)
    warned = [str(x).replace(f"{tmp}/", "") for x in result.lookalikes]
    return await _render_one(
        request, session, enrolled=identity, photos=len(result.accepted), warned=warned
    )


async def api_watchlists(request: Request) -> Response:
    await authorise(request, Permission.WATCHLISTS)
    return JSONResponse({"watchlists": await _watchlists(request)})


async def api_identity(request: Request) -> Response:
    await authorise(request, Permission.WATCHLISTS)
    name, identity = request.path_params["name"], request.path_params["identity"]
    _watchlist, people = await _one(request, name)
    for person in people:
        if person["identity_id"] == identity:
            return JSONResponse({"watchlist": name, **person})
    raise Denied(404, f"no identity {identity!r} in watchlist {name!r}")


async def identity_photo(request: Request) -> Response:
    await authorise(request, Permission.FACES)
    ctx = context(request)
    p = request.path_params
    try:
        photos = await ctx.blocking(identity_photos, ctx.store, p["name"], p["identity"])
    except IdentityNotFound:
        raise Denied(404, "no such identity") from None
    if not 0 <= p["n"] < len(photos):
        raise Denied(404, "no such photo")
    return Response(photos[p["n"]], media_type="image/jpeg")


ROUTES = [
    Route("/watchlists", watchlists_page, methods=["GET"]),
    Route("/watchlists", create_watchlist, methods=["POST"]),
    Route("/watchlists/{name}", watchlist_page, methods=["GET"]),
    Route("/watchlists/{name}/identities", add_identity, methods=["POST"]),
    Route("/api/watchlists", api_watchlists, methods=["GET"]),
    Route("/api/watchlists/{name}/identities/{identity}", api_identity, methods=["GET"]),
    Route(
        "/api/watchlists/{name}/identities/{identity}/photos/{n:int}.jpg",
        identity_photo,
        methods=["GET"],
    ),
]
