"""Giving up without stopping the program: a child that keeps crashing under GiveUp.FAIL is
left FAILED, reported through the events mailbox and the registry, and retried after its long
wait, while its siblings run on. Also: ordered stops, `wait`, and the one back-off."""

from __future__ import annotations

import random

import pytest
import trio

from lfr.kernel import (
    Actor,
    ActorState,
    Backoff,
    ChildEvent,
    ChildEventKind,
    GiveUp,
    Mailbox,
    MailboxPolicy,
    RestartPolicy,
    Supervisor,
)

FAILING = RestartPolicy(
    max_restarts=2,
    within_s=10.0,
    backoff=Backoff(0.01, 0.02),
    give_up=GiveUp.FAIL,
    retry_after_s=0.3,
    shutdown_s=1.0,
)


class Boom(Exception):
    pass


class Crasher(Actor[None]):
    """Ready, then crashes at once, every time (or never ready, with `before_ready`)."""

    def __init__(self, name: str, *, before_ready: bool = False) -> None:
        super().__init__(name)
        self.starts = 0
        self.before_ready = before_ready

    async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
        self.starts += 1
        if self.before_ready:
            raise Boom(f"start {self.starts}")
        task_status.started()
        await trio.sleep(0.001)
        raise Boom(f"run {self.starts}")


class Counter(Actor[int]):
    def __init__(self, name: str) -> None:
        super().__init__(name, mailbox=Mailbox(16, MailboxPolicy.BLOCK))
        self.seen: list[int] = []

    async def handle(self, message: int) -> None:
        self.seen.append(message)


def _events() -> Mailbox[ChildEvent]:
    return Mailbox(64, MailboxPolicy.DROP_OLDEST, name="events")


def _drain(box: Mailbox[ChildEvent]) -> list[ChildEvent]:
    out = []
    while box.depth:
        out.append(box.get_nowait())
    return out


async def test_a_child_that_keeps_crashing_is_failed_then_retried_while_its_sibling_runs() -> None:
    events = _events()
    crasher, sibling = Crasher("crasher"), Counter("sibling")
    async with trio.open_nursery() as nursery:
        sup = Supervisor("cameras", events=events)
        await nursery.start(sup.run)
        await sup.start(sibling, FAILING)
        await sup.start(crasher, FAILING)
        with trio.fail_after(2):
            while crasher.stats.state is not ActorState.FAILED:
                await trio.sleep(0.005)
        assert crasher.starts == FAILING.max_restarts + 1
        counters = sup.registry.counters()["crasher"]
        assert counters["state"] == "failed" and "Boom: run 3" in str(counters["last_error"])
        assert sibling.mailbox is not None
        for i in range(5):  # the sibling serves while the crasher is FAILED
            await sibling.mailbox.put(i)
        with trio.fail_after(2):
            while len(sibling.seen) < 5:
                await trio.sleep(0.005)
        kinds = [e.kind for e in _drain(events)]
        assert kinds == [ChildEventKind.CRASHED] * 3 + [ChildEventKind.FAILED]
        with trio.fail_after(2):  # the long retry: started again, crashes again
            while crasher.starts <= FAILING.max_restarts + 1:
                await trio.sleep(0.005)
        assert ChildEventKind.RETRYING in [e.kind for e in _drain(events)]
        assert sibling.stats.state is ActorState.RUNNING and sibling.stats.restarts == 0
        nursery.cancel_scope.cancel()


async def test_start_returns_for_a_never_ready_child_that_gives_up_by_failing() -> None:
    never = Crasher("never", before_ready=True)
    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        with trio.fail_after(2):
            await sup.start(never, FAILING)  # FAILED is an answer: no hang, no raise
        assert never.stats.state is ActorState.FAILED and "never" in sup.children()
        with trio.fail_after(0.5):  # stopping it does not wait out its retry
            assert await sup.stop("never")
        assert never.stats.state is ActorState.STOPPED and "never" not in sup.registry
        nursery.cancel_scope.cancel()


async def test_ordered_stop_stops_children_in_reverse_start_order() -> None:
    stopped: list[str] = []

    class Service(Counter):
        def request_stop(self) -> None:
            stopped.append(self.name)
            super().request_stop()

    sup = Supervisor("root", ordered_stop=True)
    for name in ("socket", "alerts", "cameras", "housekeeping"):
        sup.add(Service(name), FAILING)
    async with trio.open_nursery() as nursery:
        await nursery.start(sup.run)
        assert sup.children() == ["socket", "alerts", "cameras", "housekeeping"]
        sup.request_stop()
    assert stopped == ["housekeeping", "cameras", "alerts", "socket"]


async def test_wait_tells_a_normal_end_from_a_stop() -> None:
    class Once(Actor[None]):
        async def run(self, *, task_status=trio.TASK_STATUS_IGNORED) -> None:
            task_status.started()
            await trio.sleep(0.01)

    async with trio.open_nursery() as nursery:
        sup = Supervisor()
        await nursery.start(sup.run)
        await sup.start(Once("file"), FAILING)
        with trio.fail_after(2):
            assert await sup.wait("file") is True
        await sup.start(Counter("service"), FAILING)
        nursery.start_soon(sup.stop, "service")
        with trio.fail_after(2):
            assert await sup.wait("service") is False
        nursery.cancel_scope.cancel()


def test_backoff_grows_to_its_ceiling_and_never_overflows() -> None:
    exact = Backoff(0.5, 10.0, jitter=0.0)
    assert [exact.delay(n) for n in range(6)] == [0.5, 1.0, 2.0, 4.0, 8.0, 10.0]
    assert exact.delay(10_000) == 10.0  # a camera down for days
    jittered = Backoff(1.0, 1.0, jitter=0.25)
    delays = {jittered.delay(3, random.Random(seed)) for seed in range(20)}
    assert min(delays) >= 0.75 and max(delays) <= 1.25 and len(delays) > 1
    with pytest.raises(ValueError):
        Backoff(5.0, 1.0)
    with pytest.raises(ValueError):
        Backoff(jitter=1.5)
