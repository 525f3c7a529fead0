"""Alerts history: filters (camera, watchlist, verdict, time range), pages keyed by seq, and
each alert's side-by-side view (probe crop beside the enrolled photos) with its audit trail.

The probe crop is served only to a logged-in officer or supervisor, never cached (the app
marks every response `no-store`), and answers 404 once retention has deleted the alert.
"""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lfr.console.roles import Permission
from lfr.console.web import Denied, authorise, context, int_param, render, text_param
from lfr.store.alerts import STATUSES
from lfr.store.browse import (
    AlertFilter,
    AuditFilter,
    alert_facets,
    record_json,
    search_alerts,
    search_audit,
)
from lfr.store.errors import AlertNotFound, StoreError

PAGE = 50


def _time(request: Request, name: str) -> float | None:
    """A time filter: `YYYY-MM-DDTHH:MM` (the browser's datetime-local, local time) or epoch."""
    raw = text_param(request, name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(raw).timestamp()
    except ValueError:
        raise Denied(400, f"{name} must be a date and time, got {raw!r}") from None


def _filter(request: Request) -> AlertFilter:
    status = text_param(request, "status")
    if status is not None and status not in STATUSES:
        raise Denied(400, f"status must be one of {', '.join(STATUSES)}")
    return AlertFilter(
        camera=text_param(request, "camera"),
        watchlist=text_param(request, "watchlist"),
        status=status,
        since_ts=_time(request, "since"),
        until_ts=_time(request, "until"),
        before_seq=int_param(request, "before_seq"),
        limit=min(int_param(request, "limit", PAGE) or PAGE, 500),
    )


async def _page_of(request: Request) -> tuple[list[dict[str, Any]], int | None]:
    ctx = context(request)
    f = _filter(request)

    def read() -> tuple[list[dict[str, Any]], int | None]:
        try:
            alerts = search_alerts(ctx.store, f)
        except StoreError as exc:
            raise Denied(400, str(exc)) from None
        more = alerts[-1].seq if len(alerts) == f.limit else None
        return [ctx.daemon.wire(a) for a in alerts], more

    result: tuple[list[dict[str, Any]], int | None] = await ctx.blocking(read)
    return result


async def alerts_page(request: Request) -> Response:
    session = await authorise(request, Permission.ALERTS)
    ctx = context(request)
    alerts, next_before = await _page_of(request)
    facets = await ctx.blocking(alert_facets, ctx.store)
    args = {k: v for k, v in request.query_params.items() if k != "before_seq" and v}
    return render(
        request,
        "alerts.html",
        session,
        alerts=alerts,
        next_before=next_before,
        facets=facets,
        statuses=STATUSES,
        args=args,
    )


async def alert_page(request: Request) -> Response:
    session = await authorise(request, Permission.ALERTS)
    ctx = context(request)
    alert_id = request.path_params["alert_id"]

    def read() -> tuple[dict[str, Any], list[dict[str, Any]]]:
        try:
            alert = ctx.daemon.wire(ctx.store.alerts.get(alert_id))
        except AlertNotFound:
            raise Denied(404, f"no alert {alert_id!r} (deleted by retention?)") from None
        trail = search_audit(ctx.store, AuditFilter(alert_id=alert_id, limit=200))
        return alert, [record_json(r) for r in reversed(trail)]

    alert, trail = await ctx.blocking(read)
    return render(
        request, "alert.html", session, alert=alert, trail=trail, now=time.time(), verdicts=True
    )


async def api_alerts(request: Request) -> Response:
    await authorise(request, Permission.ALERTS)
    alerts, next_before = await _page_of(request)
    return JSONResponse({"alerts": alerts, "next_before_seq": next_before})


async def api_alert(request: Request) -> Response:
    await authorise(request, Permission.ALERTS)
    ctx = context(request)
    alert_id = request.path_params["alert_id"]

    def read() -> dict[str, Any]:
        alert = ctx.daemon.wire(ctx.store.alerts.get(alert_id))
        trail = search_audit(ctx.store, AuditFilter(alert_id=alert_id, limit=200))
        return {**alert, "audit": [record_json(r) for r in reversed(trail)]}

    try:
        return JSONResponse(await ctx.blocking(read))
    except AlertNotFound:
        raise Denied(404, f"no alert {alert_id!r}") from None


async def alert_crop(request: Request) -> Response:
    await authorise(request, Permission.ALERTS)
    ctx = context(request)
    alert_id = request.path_params["alert_id"]
    try:
        alert = await ctx.blocking(ctx.store.alerts.get, alert_id)
    except AlertNotFound:
        raise Denied(404, "no such alert (deleted by retention?)") from None
    if alert.crop_jpeg is None:
        raise Denied(404, "this alert has no stored image")
    return Response(alert.crop_jpeg, media_type="image/jpeg")


ROUTES = [
    Route("/alerts", alerts_page, methods=["GET"]),
    Route("/alerts/{alert_id}", alert_page, methods=["GET"]),
    Route("/api/alerts", api_alerts, methods=["GET"]),
    Route("/api/alerts/{alert_id}", api_alert, methods=["GET"]),
    Route("/api/alerts/{alert_id}/crop.jpg", alert_crop, methods=["GET"]),
]
