"""Supervision semantics: a crash restarts; too many crashes escalate; stops drain within a
deadline; cancellation stops cleanly; no task or thread outlives its actor."""

from __future__ import annotations

import threading
from dataclasses import replace

import pytest
import trio
import trio.testing

from lfr.errors import StateError
from lfr.kernel import (
    Actor,
    Backoff,
    EscalationError,
    Mailbox,
    MailboxPolicy,
    NameTaken,
    Registry,
    Restart,
    RestartPolicy,
    Supervisor,
)

QUICK = RestartPolicy(max_restarts=3, within_s=10.0, backoff=Backoff(0.01, 0.05), shutdown_s=5.0)


class Boom(Exception):
    pass


class Flaky(Actor[int]):
    """Crashes on its first `crashes` starts, then serves its mailbox."""

    def __init__(self, name: str, crashes: int) -> None:
        super().__init__(name, mailbox=Mailbox(16, MailboxPolicy.BLOCK))
        self.crashes = crashes
        self.starts = 0
        self.seen: list[int] = []

    async def on_start(self) -> None:
        self.starts += 1
        if self.starts <= self.crashes:
            raise Boom(f"start {self.starts}")

    async def handle(self, message: int) -> None:
        if message < 0:
            raise Boom("bad message")
        self.seen.append(message)


async def test_a_crash_restarts_the_actor_with_its_mailbox() -> None:
    actor = Flaky("flaky", crashes=2)
    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(actor, QUICK)  # returns once ready, after two restarts
        assert actor.starts == 3 and actor.stats.restarts == 2
        assert actor.mailbox is not None
        await actor.mailbox.put(1)
        await actor.mailbox.put(-1)  # crashes while handling: restarted again
        await actor.mailbox.put(2)
        with trio.fail_after(2):
            while actor.seen != [1, 2]:
                await trio.sleep(0.01)
        assert actor.stats.errors == 1 and actor.stats.restarts == 3
        assert actor.stats.processed == 2
        nursery.cancel_scope.cancel()


class CrashAfterReady(Actor[None]):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.starts = 0

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.starts += 1
        task_status.started()
        await trio.sleep(0.001)
        raise Boom(f"run {self.starts}")


async def test_too_many_crashes_escalate_out_of_the_supervisor() -> None:
    crasher = CrashAfterReady("crasher")
    healthy = Flaky("healthy", crashes=0)
    sup = Supervisor("cameras")
    sup.add(healthy, QUICK)
    sup.add(crasher, QUICK)
    with trio.fail_after(5), pytest.raises(EscalationError) as info:
        await sup.run()
    err = info.value
    assert err.actor == "crasher" and err.restarts == QUICK.max_restarts
    assert isinstance(err.__cause__, Boom)
    assert crasher.starts == QUICK.max_restarts + 1
    assert len(sup.registry) == 0  # the healthy sibling was stopped too


async def test_an_actor_never_ready_fails_its_start_not_its_siblings() -> None:
    crasher = Flaky("crasher", crashes=100)
    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(Flaky("healthy", crashes=0), QUICK)
        with pytest.raises(EscalationError) as info:
            await sup.start(crasher, QUICK)
        assert isinstance(info.value.__cause__, Boom)
        assert crasher.starts == QUICK.max_restarts + 1
        assert sup.children() == ["healthy"]  # the supervisor and the sibling carry on
        nursery.cancel_scope.cancel()


async def test_escalation_reaches_the_parent_which_restarts_the_subtree() -> None:
    registry = Registry()
    inner = Supervisor("inner", registry=registry)
    doomed = Flaky("doomed", crashes=0)
    async with trio.open_nursery() as nursery:
        root = Supervisor("root", registry=registry)
        await nursery.start(root.run)
        await root.start(inner, QUICK)
        await inner.start(doomed, RestartPolicy(max_restarts=0, backoff=Backoff(0.01, 0.01)))
        assert doomed.mailbox is not None
        await doomed.mailbox.put(-1)  # crash; no restarts allowed: inner escalates
        with trio.fail_after(2):
            while inner.stats.restarts < 1 or "doomed" not in registry:
                await trio.sleep(0.01)
        assert doomed.starts == 2  # the parent restarted `inner`, which restarted its child
        nursery.cancel_scope.cancel()


async def test_normal_exit_is_not_restarted_unless_permanent() -> None:
    class Once(Actor[None]):
        runs = 0

        async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
            type(self).runs += 1
            task_status.started()

    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(Once("transient"), QUICK)
        await trio.sleep(0.1)
        assert Once.runs == 1 and "transient" not in sup.registry
        permanent = RestartPolicy(
            max_restarts=50, within_s=1.0, backoff=Backoff(0.01, 0.01), restart=Restart.PERMANENT
        )
        await sup.start(Once("permanent"), permanent)
        await trio.sleep(0.1)
        assert Once.runs > 3
        nursery.cancel_scope.cancel()


async def test_graceful_stop_drains_the_mailbox_within_the_deadline() -> None:
    class Slow(Flaky):
        async def handle(self, message: int) -> None:
            await trio.sleep(0.01)
            self.seen.append(message)

    actor = Slow("slow", crashes=0)
    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(actor, QUICK)
        assert actor.mailbox is not None
        for i in range(10):
            actor.mailbox.put_nowait(i)
        drained = await sup.stop("slow", timeout_s=5)
        assert drained and actor.seen == list(range(10))
        assert "slow" not in sup.registry
        nursery.cancel_scope.cancel()


async def test_stop_cancels_an_actor_that_misses_its_deadline() -> None:
    cancelled = trio.Event()

    class Stubborn(Actor[None]):
        async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
            task_status.started()
            try:
                await trio.sleep_forever()  # ignores request_stop
            except trio.Cancelled:
                cancelled.set()
                raise

    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(Stubborn("stubborn"), QUICK)
        with trio.fail_after(2):
            drained = await sup.stop("stubborn", timeout_s=0.1)
        assert not drained and cancelled.is_set()
        nursery.cancel_scope.cancel()


class Threaded(Actor[None]):
    """Does its work in a worker thread, like a camera's decoder."""

    exited = False

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        task_status.started()
        try:
            await trio.to_thread.run_sync(self._work, thread_name=f"worker:{self.name}")
        finally:
            self.exited = True

    def _work(self) -> None:
        while True:
            trio.from_thread.check_cancelled()
            threading.Event().wait(0.01)


def _workers() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("worker:")]


async def test_cancellation_stops_everything_and_nothing_outlives_it() -> None:
    registry = Registry()
    sup = Supervisor(registry=registry)
    async with trio.open_nursery() as nursery:
        await nursery.start(sup.run)
        actors = [Threaded(name) for name in ("a", "b", "c")]
        for actor in actors:
            await sup.start(actor, QUICK)
        with trio.fail_after(2):
            while sorted(_workers()) != ["worker:a", "worker:b", "worker:c"]:
                await trio.sleep(0.01)
        nursery.cancel_scope.cancel()
    assert _workers() == []  # each thread ended before its actor's run returned
    assert all(actor.exited for actor in actors)
    assert len(registry) == 0 and sup.children() == []


async def test_request_stop_ends_the_supervisor_after_its_children() -> None:
    sup = Supervisor()
    async with trio.open_nursery() as nursery:
        await nursery.start(sup.run)
        actor = Threaded("t")
        await sup.start(actor, replace(QUICK, shutdown_s=1.0))
        sup.request_stop()
        with pytest.raises(StateError):  # no new children while stopping
            await sup.start(Threaded("late"), QUICK)
    assert _workers() == [] and sup.children() == [] and actor.exited


async def test_registry_names_are_unique() -> None:
    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(Threaded("cam"), QUICK)
        with pytest.raises(NameTaken):
            sup.registry.register(Threaded("cam"))
        assert sup.registry.lookup("cam", Threaded).name == "cam"
        assert set(sup.registry.counters()["cam"]) >= {"processed", "errors", "restarts"}
        nursery.cancel_scope.cancel()
