"""The daemon's reliability promises, tried the way they break in the field: a camera whose
analysis crashes on every frame, another process holding SQLite's write lock for 15 s, and
the data directory's disk filling up. In each, the other cameras keep analysing, the daemon
stays up, and no alert is lost."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import trio
from daemon_helpers import collect_alerts, make_daemon, wait_for
from pipeline_helpers import run_lfr

from lfr.daemon import policies
from lfr.kernel import Backoff
from lfr.pipeline.alert_actor import AlertActor
from lfr.pipeline.analysis import FrameAnalysis
from lfr.pipeline.camera import CameraContext
from lfr.store import Store

FAILS_AFTER = 2  # restarts before the broken camera is FAILED


def _camera(cid: str, clip: Path) -> dict:
    return {"id": cid, "url": str(clip), "watchlist": "wl", "loop": True, "fps": 5}


async def _lfr_status(home: Path) -> str:
    """`lfr status` as an operator runs it (a process), while this test's daemon serves."""
    done = await trio.to_thread.run_sync(
        run_lfr, ["status", "--socket", str(home / "lfr.sock")], home
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _audit_actions(home: Path) -> list[tuple[str, dict]]:
    with Store.open(home, check=False) as store:
        return [(r.action, r.details) for r in store.audit.records()]


async def test_a_camera_that_keeps_crashing_is_failed_while_the_others_alert(
    home: Path, live_analyzer, hamilton_clip: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quick = replace(
        policies.DAEMON.camera,
        max_restarts=FAILS_AFTER,
        within_s=30.0,
        backoff=Backoff(0.05, 0.1),
        retry_after_s=10.0,
    )
    monkeypatch.setattr(policies, "DAEMON", replace(policies.DAEMON, camera=quick))
    decide = FrameAnalysis.decide

    def broken_for_one_camera(self, ctx, frame, found):
        if ctx.camera_id == "broken":
            raise RuntimeError("analysis bug on every frame")
        return decide(self, ctx, frame, found)

    monkeypatch.setattr(FrameAnalysis, "decide", broken_for_one_camera)
    daemon = make_daemon(
        home,
        [_camera("broken", hamilton_clip), _camera("healthy", hamilton_clip)],
        live_analyzer,
        cooldown_s=0.5,
    )
    alerts: list = []
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        async with trio.open_nursery() as watch:
            await watch.start(collect_alerts, daemon, alerts)
            broken = daemon.camera("broken")
            assert broken is not None
            await wait_for(
                lambda: broken.snapshot().state == "FAILED", 20, "the camera to be FAILED"
            )
            failed_at = len(alerts)

            status = await _lfr_status(home)
            row = next(line for line in status.splitlines() if line.startswith("broken "))
            assert " FAILED " in row, status
            assert "analysis bug on every frame" in status
            healthy_row = next(line for line in status.splitlines() if line.startswith("healthy "))
            assert "FAILED" not in healthy_row
            # The actors' table is the registry's: lifecycle and restarts of each actor.
            actor_row = next(ln for ln in status.splitlines() if ln.startswith("camera:broken "))
            assert actor_row.split()[1:3] == ["failed", str(FAILS_AFTER)], status
            assert any(ln.split()[:2] == ["alerts", "running"] for ln in status.splitlines())

            await wait_for(lambda: len(alerts) > failed_at, 30, "an alert after the FAILED camera")
            assert {a.data["camera"] for a in alerts} == {"healthy"}
            # The long retry: the camera is started again (and, still broken, fails again).
            restarts = broken.stats.restarts
            await wait_for(
                lambda: broken.stats.restarts > restarts, 20, "the FAILED camera's retry"
            )
            assert daemon.camera("healthy").snapshot().restarts == 0
            watch.cancel_scope.cancel()
        daemon.request_stop()  # and the nursery waits for a clean stop
    actions = _audit_actions(home)
    failed = [d for a, d in actions if a == "actor.failed"]
    assert failed and failed[0]["actor"] == "camera:broken"
    assert "analysis bug" in failed[0]["error"]
    assert any(a == "actor.retry" and d["actor"] == "camera:broken" for a, d in actions)


HOLD_WRITE_LOCK = """
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("held", flush=True)
time.sleep(float(sys.argv[2]))
db.execute("COMMIT")
"""


@dataclass
class Alerting:
    """A daemon with one camera that has alerted at least once, and what to watch of it."""

    actor: AlertActor
    camera: CameraContext
    alerts: list


@asynccontextmanager
async def _alerting(home: Path, analyzer, clip: Path) -> AsyncIterator[Alerting]:
    """Yields once the first alert is out; then stops the camera, lets the alert actor drain,
    stops the daemon cleanly, and checks that the subscriber saw every stored alert (in its
    latest state), each once, in seq order, and that no write failed."""
    daemon = make_daemon(home, [_camera("cam", clip)], analyzer, cooldown_s=0.5)
    alerts: list = []
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        async with trio.open_nursery() as watch:
            await watch.start(collect_alerts, daemon, alerts)
            await wait_for(lambda: alerts, 40, "the first alert")
            assert daemon.tree is not None and daemon.engine is not None
            run = Alerting(daemon.tree.alerts, daemon.engine.cameras["cam"], alerts)
            yield run
            await daemon.tree.stop_camera("cam")  # no new decisions from here on
            await wait_for(lambda: run.actor.pending == 0, 30, "the pending alerts written")
            assert run.actor.writer.condition == "ok"
            last = daemon.hub.last_seq("alerts")
            await wait_for(lambda: alerts[-1].seq == last, 10, "the alerts published")
            watch.cancel_scope.cancel()
        daemon.request_stop()  # and the nursery waits for a clean stop
    assert run.actor.stats.errors == 0 and run.actor.stats.restarts == 0
    seqs = [a.seq for a in alerts]
    assert seqs == sorted(set(seqs)), "repeated or reordered"
    latest = {a.data["alert_id"]: a.seq for a in alerts}  # a revision moves its alert's seq
    with Store.open(home, check=False) as store:
        stored = {a.alert_id: a.seq for a in store.alerts.list_since(0)}
    assert latest == stored, "lost"


async def test_alerts_wait_for_a_busy_database_and_none_is_lost(
    home: Path, live_analyzer, hamilton_clip: Path
) -> None:
    """Another process (a long `watchlist import`) holds the write lock for 15 s."""
    async with _alerting(home, live_analyzer, hamilton_clip) as run:
        holder = await trio.lowlevel.open_process(
            [sys.executable, "-c", HOLD_WRITE_LOCK, str(home / "lfr.db"), "15"],
            stdout=subprocess.PIPE,
        )
        assert holder.stdout is not None
        said = b""
        while not said.endswith(b"\n"):
            said += await holder.stdout.receive_some()
        assert said == b"held\n"
        t_held = time.monotonic()
        analysed, most_pending, busy_seen, status_took = [], 0, False, None
        while holder.poll() is None:
            await trio.sleep(0.5)
            analysed.append(run.camera.counters.frames_analysed)
            most_pending = max(most_pending, run.actor.pending)
            busy_seen = busy_seen or run.actor.writer.condition == "busy"
            if status_took is None and run.actor.pending and time.monotonic() - t_held < 9:
                # An operator asks meanwhile: the answer is not held behind the waiting write.
                t0 = time.monotonic()
                status = await _lfr_status(home)
                status_took = time.monotonic() - t0
                waiting = re.search(r"^store: [a-z ]+, (\d+) alert\(s\) pending", status, re.M)
                assert waiting and int(waiting[1]) >= 1, status
        assert time.monotonic() - t_held > 14
        assert status_took is not None and status_took < 5.0, status_took
        # The camera kept analysing the whole time: no 2 s without a new frame analysed.
        assert all(later > earlier for earlier, later in zip(analysed, analysed[4:], strict=False))
        assert most_pending >= 1 and busy_seen, (most_pending, run.actor.counters())
    # The ones raised during the hold waited for it (persisted with their true latency).
    with Store.open(home, check=False) as store:
        assert max(a.latency_ms or 0 for a in store.alerts.list_since(0)) > 5000


@pytest.fixture
def small_disk(tmp_path: Path):
    """A 48 MiB tmpfs: a data directory whose disk can be filled for real (needs root)."""
    import os

    from support.skips import require

    require(None if os.geteuid() == 0 else "mounting a tmpfs needs root")
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48m", "tmpfs", str(mount)], check=True)
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(directory: Path) -> Path:
    """Write a file until the disk is full; return it."""
    filler = directory / "filler"
    chunk = b"\0" * (1 << 16)
    with filler.open("wb", buffering=0) as fh:
        try:
            while True:
                fh.write(chunk)
        except OSError:
            pass
    return filler


async def test_a_full_disk_loses_no_alert(
    home: Path, small_disk: Path, live_analyzer, hamilton_clip: Path, caplog
) -> None:
    import shutil

    data = small_disk / "home"
    shutil.copytree(home, data)
    async with _alerting(data, live_analyzer, hamilton_clip) as run:
        filler = await trio.to_thread.run_sync(_fill, small_disk)
        await wait_for(lambda: run.actor.writer.condition == "disk full", 40, "a write to hit it")
        before = run.camera.counters.frames_analysed
        await trio.sleep(2.0)
        assert run.camera.counters.frames_analysed > before, "detection stopped, disk full"
        assert run.actor.pending >= 1
        status = await _lfr_status(data)
        assert "store: disk full" in status and "alert(s) pending" in status, status
        assert any("disk full" in r.getMessage() for r in caplog.records)
        filler.unlink()
        await wait_for(lambda: run.actor.writer.condition == "ok", 30, "writing to resume")
        assert "store: ok" in await _lfr_status(data)
