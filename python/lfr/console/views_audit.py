"""The audit trail: whether its chain verifies, and its records, newest first, filtered by
action, actor or alert, a page at a time."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from lfr.console.roles import Permission
from lfr.console.web import authorise, context, int_param, render, text_param
from lfr.store.browse import AuditFilter, audit_actions, record_json, search_audit

PAGE = 100


async def _read(request: Request) -> dict[str, Any]:
    ctx = context(request)
    f = AuditFilter(
        action_prefix=text_param(request, "action"),
        actor=text_param(request, "actor"),
        alert_id=text_param(request, "alert_id"),
        before_seq=int_param(request, "before_seq"),
        limit=min(int_param(request, "limit", PAGE) or PAGE, 500),
    )

    def read() -> dict[str, Any]:
        verdict = ctx.store.audit.verify()
        records = search_audit(ctx.store, f)
        return {
            "verified": verdict.ok,
            "records_total": verdict.records,
            "head_hash": verdict.head_hash,
            "problems": list(verdict.problems),
            "records": [record_json(r) for r in records],
            "next_before_seq": records[-1].seq if len(records) == f.limit else None,
            "actions": audit_actions(ctx.store),
        }

    result: dict[str, Any] = await ctx.blocking(read)
    return result


async def audit_page(request: Request) -> Response:
    session = await authorise(request, Permission.AUDIT)
    data = await _read(request)
    args = {k: v for k, v in request.query_params.items() if k != "before_seq" and v}
    return render(request, "audit.html", session, audit=data, args=args)


async def api_audit(request: Request) -> Response:
    await authorise(request, Permission.AUDIT)
    return JSONResponse(await _read(request))


ROUTES = [
    Route("/audit", audit_page, methods=["GET"]),
    Route("/api/audit", api_audit, methods=["GET"]),
]
