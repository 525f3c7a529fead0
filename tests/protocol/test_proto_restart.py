"""Exactly-once across client kills and daemon restarts, over a real Store (SQLite): the
`lfr tail` process is SIGKILLed, the daemon restarts with a new hub and the same database,
alerts are recorded while nobody listens, and `lfr tail --resume` prints every alert once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import trio
from proto_support import alert_record

from lfr.client import Endpoint, Event, afollow_alerts
from lfr.config import SocketConfig
from lfr.daemon.store_api import StoreDaemonApi
from lfr.pipeline.alerts import alert_wire
from lfr.protocol.hub import EventHub
from lfr.protocol.server import SocketEndpoints, serve_socket
from lfr.store import Store


class Daemon:
    """The socket half of a daemon over a real store; `restart()` is a new process's view:
    a new hub and server, the same database file."""

    def __init__(self, nursery: trio.Nursery, home: Path) -> None:
        self.nursery, self.home = nursery, home
        self.store = Store.open(home)
        self.hub: EventHub | None = None
        self.scope: trio.CancelScope | None = None
        self.endpoints: SocketEndpoints | None = None

    async def start(self) -> None:
        self.hub, self.scope = EventHub(), trio.CancelScope()
        api, hub, scope = StoreDaemonApi(self.store), self.hub, self.scope
        config, home = SocketConfig(), self.home

        async def run(
            task_status: trio.TaskStatus[SocketEndpoints] = trio.TASK_STATUS_IGNORED,
        ) -> None:
            with scope:
                await serve_socket(api, hub, config, home, task_status=task_status)

        self.endpoints = await self.nursery.start(run)

    async def stop(self) -> None:
        assert self.scope is not None
        self.scope.cancel()
        self.hub = None
        with trio.fail_after(5):  # the server removes its socket file as it stops
            while (self.home / "lfr.sock").exists():
                await trio.sleep(0.01)

    def alert(self) -> str:
        """Persist an alert, then publish it if the daemon is up (the pipeline's order)."""
        stored = self.store.alerts.record(alert_record())
        if self.hub is not None:
            self.hub.publish("alerts", alert_wire(stored, None))
        return stored.alert_id


def tail(home: Path, out: Path, *args: str) -> subprocess.Popen[bytes]:
    env = dict(os.environ, LFR_HOME=str(home))
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lfr.cli.admin",
            "tail",
            "--socket",
            str(home / "lfr.sock"),
            "--state-file",
            str(home / "tail.state"),
            *args,
        ],
        stdout=out.open("wb"),
        stderr=subprocess.DEVNULL,
        env=env,
    )


def lines(path: Path) -> list[dict]:
    return [json.loads(x) for x in path.read_text().splitlines() if x.strip()]


async def wait_for(predicate, timeout: float = 30.0) -> None:  # type: ignore[no-untyped-def]
    with trio.fail_after(timeout):
        while not predicate():
            await trio.sleep(0.05)


async def test_kill_tail_restart_daemon_resume_exactly_once(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    home = short_dir / "home"
    daemon = Daemon(nursery, home)
    await daemon.start()
    ids = [daemon.alert() for _ in range(5)]
    first_out = short_dir / "first.jsonl"
    first = tail(home, first_out, "--since", "0")
    try:
        await wait_for(lambda: len(lines(first_out)) >= 5)
        ids += [daemon.alert() for _ in range(5)]
        state = home / "tail.state"
        await wait_for(lambda: state.exists() and json.loads(state.read_text())["last_seq"] == 10)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    await daemon.stop()
    ids += [daemon.alert() for _ in range(3)]  # recorded while the socket is down
    await daemon.start()
    ids += [daemon.alert() for _ in range(2)]  # published before the client is back
    second_out = short_dir / "second.jsonl"
    second = tail(home, second_out, "--resume", "--count", "7")
    try:
        await wait_for(lambda: len(lines(second_out)) >= 2)
        ids += [daemon.alert() for _ in range(2)]  # live again
        await wait_for(lambda: second.poll() is not None)
    finally:
        if second.poll() is None:
            second.kill()
    assert second.returncode == 0
    printed = lines(first_out) + lines(second_out)
    assert [a["seq"] for a in printed] == list(range(1, 18))
    assert [a["alert_id"] for a in printed] == ids
    daemon.store.close()


async def test_trio_follower_rides_through_a_daemon_restart(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    home = short_dir / "home"
    daemon = Daemon(nursery, home)
    await daemon.start()
    send, receive = trio.open_memory_channel[Event](0)
    nursery.start_soon(afollow_alerts, send, Endpoint(unix=home / "lfr.sock"), 0)
    ids = [daemon.alert() for _ in range(3)]
    got = []
    with trio.fail_after(20):
        for _ in range(3):
            got.append(await receive.receive())
        await daemon.stop()
        ids += [daemon.alert() for _ in range(4)]
        await daemon.start()
        ids += [daemon.alert() for _ in range(2)]
        for _ in range(6):
            got.append(await receive.receive())
    assert [e.seq for e in got] == list(range(1, 10))
    assert [e.data["alert_id"] for e in got] == ids
    nursery.cancel_scope.cancel()
    daemon.store.close()


async def test_store_backed_requests(nursery: trio.Nursery, short_dir: Path) -> None:
    from lfr.client import ServerError, open_client

    home = short_dir / "home"
    daemon = Daemon(nursery, home)
    await daemon.start()
    alert_id = daemon.alert()
    async with open_client(Endpoint(unix=home / "lfr.sock")) as c:
        status = await c.status()
        assert status["alerts_today"] == 1 and status["last_alert_seq"] == 1
        (listed,) = await c.alerts_list()
        assert listed["alert_id"] == alert_id and listed["status"] == "raised"
        judged = await c.alert_adjudicate(alert_id, "confirmed", "PC 1", "spoken to")
        assert judged["status"] == "confirmed" and judged["adjudicated_by"] == "PC 1"
        for call, code in (
            (c.alert_adjudicate(alert_id, "maybe", "PC 1"), "invalid_argument"),
            (c.alert_adjudicate("nope", "confirmed", "PC 1"), "not_found"),
            (c.watchlist_reload("ghost"), "not_found"),
        ):
            try:
                await call
            except ServerError as exc:
                assert exc.code == code
            else:
                raise AssertionError(f"expected {code}")
        assert await c.watchlists_list() == []
    audit = [r.action for r in daemon.store.audit.records()]
    assert "alert.adjudicate" in audit
    await daemon.stop()
    daemon.store.close()


async def test_follow_from_now_does_not_skip_alerts_raised_while_reconnecting(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    """Started without a seq, the follower anchors on the newest persisted alert, so alerts
    raised while the daemon restarts are still delivered."""
    home = short_dir / "home"
    daemon = Daemon(nursery, home)
    await daemon.start()
    old = [daemon.alert() for _ in range(3)]
    send, receive = trio.open_memory_channel[Event](0)
    nursery.start_soon(afollow_alerts, send, Endpoint(unix=home / "lfr.sock"), None)
    hub = daemon.hub
    assert hub is not None
    await wait_for(lambda: hub.subscriber_count("alerts") == 1)  # anchored at seq 3
    await daemon.stop()
    missed_while_down = daemon.alert()
    await daemon.start()
    with trio.fail_after(20):
        first = await receive.receive()
    assert first.data["alert_id"] == missed_while_down and first.data["alert_id"] not in old
    nursery.cancel_scope.cancel()
    daemon.store.close()
