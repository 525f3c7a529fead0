"""The transparency report of a watchlist, as a page with plots an officer would rather look
at than read: alerts per hour, the verdicts, and the score distribution against the
threshold. The figures are `lfr report`'s own (`lfr.store.report.build_report`)."""

from __future__ import annotations

import time
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lfr.console import plots
from lfr.console.roles import Permission
from lfr.console.web import authorise, context, render
from lfr.store.report import build_report


async def _report(request: Request, name: str) -> tuple[dict[str, Any], dict[str, Markup]]:
    ctx = context(request)
    now = time.time()

    def read() -> tuple[dict[str, Any], dict[str, Markup]]:
        report = build_report(ctx.store, name, now=now)
        alerts = ctx.store.alerts.query(watchlist=name, limit=10**6)
        labels, counts = plots.per_hour([a.ts for a in alerts], now)
        meta = report["watchlist_details"] or {}
        threshold = meta.get("threshold")
        svgs = {
            "per_hour": plots.bars("Alerts per hour, last 24 hours", labels, counts, label_every=3),
            "verdicts": plots.verdict_bars("Verdicts", report["verdicts"]),
            "scores": plots.histogram(
                "Alert scores", [a.score for a in alerts], threshold if threshold else None
            ),
        }
        return report, {k: Markup(v) for k, v in svgs.items()}  # escaped in plots

    result: tuple[dict[str, Any], dict[str, Markup]] = await ctx.blocking(read)
    return result


async def report_index(request: Request) -> Response:
    session = await authorise(request, Permission.REPORT)
    ctx = context(request)
    infos = await ctx.blocking(ctx.store.watchlists.all)
    return render(request, "report_index.html", session, names=[i.name for i in infos])


async def report_page(request: Request) -> Response:
    session = await authorise(request, Permission.REPORT)
    report, svgs = await _report(request, request.path_params["name"])
    return render(request, "report.html", session, report=report, plots=svgs)


async def api_report(request: Request) -> Response:
    await authorise(request, Permission.REPORT)
    ctx = context(request)
    report = await ctx.blocking(lambda: build_report(ctx.store, request.path_params["name"]))
    return JSONResponse(report)


ROUTES = [
    Route("/report", report_index, methods=["GET"]),
    Route("/report/{name}", report_page, methods=["GET"]),
    Route("/api/report/{name}", api_report, methods=["GET"]),
]
