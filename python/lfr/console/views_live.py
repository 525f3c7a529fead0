"""The live pages: alerts as they are raised, verdicts on them, and the cameras.

The live page loads the alerts awaiting a verdict (`/api/live`, which also gives the last seq
it covers), then follows `/api/events`, a server-sent event stream fed by the alert hub
through `ConsoleFeed`: new alerts and revisions (`alert`, with the seq as the event id) and
verdicts (`verdict`, the judged alert). A reconnecting browser sends the last id it saw and is
replayed everything after it from the store before the live events, each alert once, in seq
order. A verdict given here is recorded with the logged-in user as the actor, then published
on the hub's `verdicts` topic, which takes the card off every other open console (and tells
socket subscribers).
"""

from __future__ import annotations

from typing import Any

import trio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from lfr.console.feed import MIN_GAP_S, alert_event, sse
from lfr.console.roles import Permission
from lfr.console.sessions import Session
from lfr.console.web import ConsoleContext, Denied, authorise, context, int_param, render
from lfr.store.alerts import VERDICTS
from lfr.store.browse import AlertFilter, search_alerts
from lfr.store.errors import AlertNotFound

AWAITING = 200  # alerts awaiting a verdict shown at once
RECENT = 30  # judged alerts kept below them
REPLAY_BATCH = 256
HEARTBEAT_S = 15.0
MAX_NOTE = 1000


async def live_page(request: Request) -> Response:
    session = await authorise(request, Permission.LIVE)
    return render(request, "live.html", session, verdicts=VERDICTS)


async def cameras_page(request: Request) -> Response:
    session = await authorise(request, Permission.CAMERAS)
    return render(request, "cameras.html", session)


async def api_live(request: Request) -> Response:
    """The live page's starting point: `last_seq` first, then the alerts, so an alert raised
    in between is in the event stream that resumes from `last_seq` (the page merges by id)."""
    await authorise(request, Permission.LIVE)
    ctx = context(request)

    def read() -> dict[str, Any]:
        last = ctx.store.alerts.last_seq()
        awaiting = search_alerts(ctx.store, AlertFilter(status="raised", limit=AWAITING))
        recent = search_alerts(ctx.store, AlertFilter(limit=RECENT))
        seen = {a.alert_id for a in awaiting}
        alerts = awaiting + [a for a in recent if a.alert_id not in seen]
        return {"last_seq": last, "alerts": [ctx.daemon.wire(a) for a in alerts]}

    return JSONResponse(await ctx.blocking(read))


async def api_cameras(request: Request) -> Response:
    # A background poll: it does not keep an unattended session alive.
    await authorise(request, Permission.CAMERAS, touch=False)
    cameras = await context(request).daemon.cameras_list()
    return JSONResponse({"cameras": list(cameras)})


async def api_verdict(request: Request) -> Response:
    session = await authorise(request, Permission.ADJUDICATE)
    ctx = context(request)
    try:
        body = await request.json()
    except ValueError:
        raise Denied(400, 'send a JSON body: {"verdict": ..., "note": ...}') from None
    verdict = body.get("verdict") if isinstance(body, dict) else None
    note = body.get("note") if isinstance(body, dict) else None
    if verdict not in VERDICTS:
        raise Denied(400, f"verdict must be one of {', '.join(VERDICTS)}")
    if note is not None and (not isinstance(note, str) or len(note) > MAX_NOTE):
        raise Denied(400, f"note must be text of at most {MAX_NOTE} characters")
    alert_id = request.path_params["alert_id"]

    def judge() -> dict[str, Any]:
        alert = ctx.store.alerts.adjudicate(
            alert_id, verdict, actor=session.user, note=(note or "").strip() or None
        )
        return ctx.daemon.wire(alert)

    try:
        judged = await ctx.blocking(judge)
    except AlertNotFound:
        raise Denied(404, f"no alert {alert_id!r} (deleted by retention?)") from None
    ctx.daemon.verdict_recorded(judged)  # published to every page and subscriber, counted
    return JSONResponse(judged)


def _since(request: Request) -> int | None:
    raw = request.headers.get("last-event-id")
    if raw:
        try:
            return max(0, int(raw))
        except ValueError:
            raise Denied(400, f"Last-Event-ID must be an alert seq, got {raw!r}") from None
    return int_param(request, "since_seq")


async def api_events(request: Request) -> Response:
    session = await authorise(request, Permission.LIVE, touch=False)
    ctx = context(request)
    since = _since(request)
    queue = ctx.feed.open()  # before reading the store: nothing falls between the two
    if since is None:
        since = await ctx.blocking(ctx.store.alerts.last_seq)
    return StreamingResponse(
        _stream(ctx, session, queue, since),
        media_type="text/event-stream",
        headers={"X-Accel-Buffering": "no"},
    )


async def _stream(ctx: ConsoleContext, session: Session, queue: Any, last: int) -> Any:
    try:
        yield b"retry: 1000\n\n"
        yield sse("hello", {"user": session.user, "since_seq": last})
        while True:  # the replay: what the page missed, from the store
            batch = await ctx.daemon.alerts_since(last, REPLAY_BATCH)
            for alert in batch:
                yield alert_event("alerts", dict(alert)).data
                last = int(alert["seq"])
            if len(batch) < REPLAY_BATCH:
                break
        wrote = trio.current_time()
        while ctx.sessions.alive(session) and not queue.lagged and not queue.closed:
            events = await queue.take(HEARTBEAT_S, not_before=wrote + MIN_GAP_S)
            wrote = trio.current_time()
            if queue.lagged:
                break  # the page reconnects from `last` and is replayed the rest
            chunks = []
            for event in events:
                if event.topic == "alerts":
                    if event.seq <= last:
                        continue  # replayed already
                    last = event.seq
                chunks.append(event.data)
            yield b"".join(chunks) if chunks else b": ping\n\n"
        if not ctx.sessions.alive(session):
            yield sse("logout", {"reason": "session expired"})
    finally:
        queue.close()


ROUTES = [
    Route("/", live_page, methods=["GET"]),
    Route("/cameras", cameras_page, methods=["GET"]),
    Route("/api/live", api_live, methods=["GET"]),
    Route("/api/events", api_events, methods=["GET"]),
    Route("/api/cameras", api_cameras, methods=["GET"]),
    Route("/api/alerts/{alert_id}/verdict", api_verdict, methods=["POST"]),
]
