"""Governance in a running daemon, on the looped Hamilton clip: a watchlist stops matching the
instant it expires and is purged on the record; one deleted (or an identity removed) while the
daemon runs stops matching at the next reload, which reports it dropped; the alert log is
private and daily; no log line carries a crop or a template; the audit head is exported at
start and stop."""

from __future__ import annotations

import base64
import json
import logging
import os
import sys
import time
from pathlib import Path

import pytest
import trio
from daemon_helpers import collect_alerts, make_daemon, wait_for

from lfr.client import Endpoint, open_client
from lfr.store import Store

EXPIRES_IN_S = 12.0  # models are loaded already: the first alert comes within ~3 s
WATCH_AFTER_S = 6.0  # over half a loop of the 10 s clip, Lin on screen throughout


def _camera(clip: Path) -> list[dict]:
    return [{"id": "loop", "url": str(clip), "watchlist": "wl", "loop": True}]


async def _keeps_analysing(daemon, seconds: float) -> None:
    """The camera goes on seeing faces: silence afterwards is not a dead camera."""
    ctx = daemon.engine.cameras["loop"]
    frames, faces = ctx.counters.frames_analysed, ctx.counters.faces
    await trio.sleep(seconds)
    assert ctx.counters.frames_analysed > frames + 5
    assert ctx.counters.faces > faces


def _leaks(text: str, crops: list[bytes]) -> list[str]:
    """Fragments of any crop, raw, as base64 or as a Python bytes repr, found in `text`."""
    found = []
    for crop in crops:
        body = crop[crop.find(b"\xff\xda") + 2 :]
        for i in range(0, len(body) - 24, 48):
            piece = body[i : i + 24]
            for form in (base64.b64encode(piece).decode()[:24], repr(piece)[2:-1], piece.hex()):
                if form in text:
                    found.append(form)
    return found


async def test_expired_watchlist_stops_matching_at_once(
    home: Path, live_analyzer, hamilton_clip: Path, caplog: pytest.LogCaptureFixture, capsys
) -> None:
    caplog.set_level(logging.DEBUG)
    expires = time.time() + EXPIRES_IN_S
    with Store.open(home) as store:
        store.watchlists.update("wl", actor="test", expires_at=expires)
    daemon = make_daemon(home, _camera(hamilton_clip), live_analyzer, cooldown_s=0.5)
    alerts: list = []
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        async with trio.open_nursery() as following:
            await following.start(collect_alerts, daemon, alerts)
            await wait_for(lambda: alerts, EXPIRES_IN_S, "an alert before the expiry")
            await trio.sleep(max(0.0, expires - time.time()))
            await _keeps_analysing(daemon, WATCH_AFTER_S)
            assert [a.data for a in alerts if a.data["ts"] >= expires] == []
            # and the housekeeping has purged it meanwhile, on the record (below)
            assert daemon.engine.watchlists.names() == []
            following.cancel_scope.cancel()
        daemon.request_stop()  # and the daemon finishes its stop: run closed, head exported
    assert alerts[0].data["ts"] < expires
    with Store.open(home) as store:
        stored = store.alerts.query()
        assert stored and max(a.ts for a in stored) < expires
        crops = [a.crop_jpeg for a in stored if a.crop_jpeg]
        assert store.watchlists.all() == []
        (expiry,) = store.audit.records(action_prefix="watchlist.expire")
        assert expiry.actor == "daemon" and expiry.details["watchlist"] == "wl"
        assert expires <= expiry.ts < expires + 10
        assert store.audit.verify().ok
        heads = [json.loads(x) for x in store.head_log.read_text().splitlines()]
        assert [h["event"] for h in heads] == ["daemon.start", "daemon.stop"]
        assert (heads[-1]["seq"], heads[-1]["head"]) == store.audit.head()
        log_files = store.alert_log.files()
    # The alert log: private daily files, identifiers only; no crop in any log line.
    assert log_files and all((p.stat().st_mode & 0o777) == 0o600 for p in log_files)
    logged = [json.loads(x) for p in log_files for x in p.read_text().splitlines()]
    assert sorted(x["alert_id"] for x in logged) == sorted(a.alert_id for a in stored)
    assert all(set(x) <= set(alerts[0].data) for x in logged)
    assert crops
    everything = caplog.text + capsys.readouterr().out + "".join(map(json.dumps, logged))
    assert _leaks(everything, crops) == []


async def _lfr(home: Path, *args: str) -> None:
    result = await trio.run_process(
        [sys.executable, "-m", "lfr.cli.admin", *args],
        capture_stdout=True,
        capture_stderr=True,
        check=False,
        env={**os.environ, "LFR_HOME": str(home)},
    )
    assert result.returncode == 0, result.stderr.decode()


async def test_removed_and_deleted_watchlists_stop_matching_at_reload(
    home: Path, live_analyzer, hamilton_clip: Path
) -> None:
    daemon = make_daemon(home, _camera(hamilton_clip), live_analyzer, cooldown_s=0.5)
    alerts: list = []
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        async with (
            trio.open_nursery() as following,
            open_client(Endpoint(unix=daemon.endpoints.unix_path)) as client,
        ):
            await following.start(collect_alerts, daemon, alerts)
            await wait_for(lambda: alerts, 25, "the first alert")
            await _lfr(home, "watchlist", "remove", "wl", "--id", "lin-manuel-miranda")
            (outcome,) = (await client.watchlist_reload("wl"))["reloaded"]
            assert outcome["loaded"] and outcome["templates"] == 0
            t_removed = time.time()
            await _keeps_analysing(daemon, WATCH_AFTER_S)
            assert [a.data for a in alerts if a.data["ts"] > t_removed] == []

            await _lfr(home, "watchlist", "delete", "wl")
            (outcome,) = (await client.watchlist_reload("wl"))["reloaded"]
            assert outcome["dropped"] and not outcome["loaded"], outcome
            assert outcome["content_hash"] is None and "no watchlist named" in outcome["error"]
            assert daemon.engine.watchlists.names() == []
            await _keeps_analysing(daemon, 2.0)
            following.cancel_scope.cancel()
        daemon.request_stop()
    with Store.open(home) as store:
        reload = store.audit.records(action_prefix="watchlist.reload")[-1]
    assert reload.details["wl"].startswith("dropped: ")
