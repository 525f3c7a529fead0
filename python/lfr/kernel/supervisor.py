"""One-for-one supervision: restart a crashed actor; when restarting stops helping, give up the
way its policy says (escalate, or leave it FAILED and try again much later).

Each child restarts on its own after its back-off. If it crashes more than `max_restarts` times
within `within_s`, its `RestartPolicy.give_up` decides: ESCALATE raises `EscalationError` out
of this supervisor's `run` (its parent then restarts it with all its children, or the program
stops with that error); FAIL marks the child FAILED, tells the events mailbox, and starts it
again after `retry_after_s`, while its siblings run on. A stop is graceful first: the child is
asked to finish its queued work, and cancelled only when its `shutdown_s` passes.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import trio

from lfr.errors import StateError
from lfr.kernel.actor import Actor, ActorState, Counters
from lfr.kernel.mailbox import Mailbox, MailboxClosed
from lfr.kernel.policy import (
    ChildEvent,
    ChildEventKind,
    EscalationError,
    GiveUp,
    Restart,
    RestartPolicy,
    escalation_in,
)
from lfr.kernel.registry import Registry

log = logging.getLogger(__name__)


@dataclass(eq=False)
class _Child:
    actor: Actor[Any]
    policy: RestartPolicy
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    done: trio.Event = field(default_factory=trio.Event)
    stopping: bool = False
    waiting: bool = False  # in a back-off or a FAILED pause: nothing to drain
    ended_normally: bool = False  # its run returned and its policy did not restart it
    restart_times: deque[float] = field(default_factory=deque)


class Supervisor(Actor[None]):
    """Runs children in its own nursery. Children declared with `add` start, in order, when
    `run` begins; `await sup.start(actor, policy)` adds one to a running supervisor and returns
    once it is ready (or FAILED, for a policy that gives up by failing).

    `events`: where lifecycle events go (crashes, FAILED, retries); a full mailbox drops the
    oldest. `ordered_stop`: stop children one at a time in reverse start order (a service that
    feeds another stops first) instead of all at once."""

    def __init__(
        self,
        name: str = "supervisor",
        *,
        registry: Registry | None = None,
        events: Mailbox[ChildEvent] | None = None,
        ordered_stop: bool = False,
    ) -> None:
        super().__init__(name)
        self.registry = registry if registry is not None else Registry()
        self.events = events
        self.ordered_stop = ordered_stop
        self._nursery: trio.Nursery | None = None
        self._specs: dict[str, tuple[Actor[Any], RestartPolicy]] = {}
        self._children: dict[str, _Child] = {}
        self._stop_requested = trio.Event()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        try:
            async with trio.open_nursery() as nursery:
                self._nursery = nursery
                for actor, policy in list(self._specs.values()):  # a restart: same children
                    await self._launch(actor, policy)
                task_status.started()
                await self._stop_requested.wait()
                await self.shutdown()
        except BaseExceptionGroup as group:
            escalation = escalation_in(group)
            if escalation is not None:
                raise escalation from escalation.__cause__
            raise
        finally:
            self._nursery = None

    def request_stop(self) -> None:
        self._stop_requested.set()

    def add(self, actor: Actor[Any], policy: RestartPolicy | None = None) -> None:
        """Declare a child before `run`: it is started (and, after an escalation restarts
        this supervisor, started again) when `run` begins."""
        if self._nursery is not None:
            raise StateError(f"supervisor {self.name!r} is running: use `await start()`")
        if actor.name in self._specs:
            raise StateError(f"supervisor {self.name!r} already has a child {actor.name!r}")
        self._specs[actor.name] = (actor, policy or RestartPolicy())

    async def start(self, actor: Actor[Any], policy: RestartPolicy | None = None) -> None:
        """Supervise `actor`; returns when its `run` has called `task_status.started()`.

        Like trio's `nursery.start`, a child that crashes before it is ever ready (more often
        than its policy allows) raises EscalationError here, to the caller, and leaves the
        supervisor and its other children running; under GiveUp.FAIL it returns FAILED."""
        if self._nursery is None or self._stop_requested.is_set():
            raise StateError(f"supervisor {self.name!r} is not running")
        if actor.name in self._specs:
            raise StateError(f"supervisor {self.name!r} already has a child {actor.name!r}")
        policy = policy or RestartPolicy()
        self._specs[actor.name] = (actor, policy)
        try:
            await self._launch(actor, policy)
        except BaseException:
            self._specs.pop(actor.name, None)
            raise

    async def _launch(self, actor: Actor[Any], policy: RestartPolicy) -> None:
        assert self._nursery is not None
        self.registry.register(actor)
        child = _Child(actor, policy)
        self._children[actor.name] = child
        await self._nursery.start(self._supervise, child)

    async def stop(self, name: str, timeout_s: float | None = None) -> bool:
        """Stop child `name`: ask it to drain, cancel it at the deadline (its policy's
        `shutdown_s` unless given). True if it ended within the deadline by itself."""
        self._specs.pop(name, None)
        child = self._children.get(name)
        if child is None:
            return True
        child.stopping = True
        if child.waiting:  # nothing to drain: do not wait out the deadline
            child.scope.cancel()
        child.actor.request_stop()
        with trio.move_on_after(child.policy.shutdown_s if timeout_s is None else timeout_s):
            await child.done.wait()
        drained = child.done.is_set()
        if not drained:
            log.warning("%s: %s did not stop in time; cancelling", self.name, name)
            child.scope.cancel()
            await child.done.wait()
        return drained

    async def shutdown(self) -> None:
        """Stop every child: in reverse start order under `ordered_stop`, else all at once,
        each within its own policy's deadline."""
        names = list(self._children)
        if self.ordered_stop:
            for name in reversed(names):
                await self.stop(name)
            return
        async with trio.open_nursery() as nursery:
            for name in names:
                nursery.start_soon(self.stop, name)

    async def wait(self, name: str) -> bool:
        """Wait until child `name` has ended for good. True if its `run` returned and was not
        restarted (a file played out); False if it was stopped or gave up (an escalation is
        then already on its way up: the caller must not stop the tree in its path)."""
        child = self._children.get(name)
        if child is None:
            return False
        await child.done.wait()
        return child.ended_normally

    def children(self) -> list[str]:
        return list(self._children)

    async def _supervise(
        self, child: _Child, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        actor, policy = child.actor, child.policy
        reported = False
        try:
            while not child.stopping:
                error: Exception | None = None
                actor.stats.state = ActorState.STARTING
                child.scope = trio.CancelScope()
                with child.scope:
                    try:
                        async with trio.open_nursery() as inner:
                            await inner.start(actor.run)
                            actor.stats.state = ActorState.RUNNING
                            if not reported:
                                task_status.started()
                                reported = True
                    except Exception as exc:  # noqa: BLE001 - any crash is the supervisor's to handle
                        error = _unwrap(exc)
                if child.scope.cancelled_caught or child.stopping:
                    return
                if error is None and policy.restart is not Restart.PERMANENT:
                    child.ended_normally = True
                    return
                if error is not None:
                    actor.stats.last_error = f"{type(error).__name__}: {error}"
                    log.warning("%s: %s crashed: %r", self.name, actor.name, error)
                    self._tell(actor, ChildEventKind.CRASHED)
                else:
                    log.warning(
                        "%s: %s ended, and it must run for good: restarting", self.name, actor.name
                    )
                now = trio.current_time()
                while child.restart_times and now - child.restart_times[0] > policy.within_s:
                    child.restart_times.popleft()
                if len(child.restart_times) >= policy.max_restarts:
                    cause = error or StateError("it ended, and it must run for good")
                    if policy.give_up is GiveUp.ESCALATE:
                        raise EscalationError(
                            actor.name, len(child.restart_times), policy.within_s, cause
                        ) from cause
                    self._fail(child, len(child.restart_times))
                    if not reported:  # FAILED is an answer: the caller of start() goes on
                        task_status.started()
                        reported = True
                    await self._pause(child, policy.retry_after_s)
                    if child.stopping:
                        return
                    child.restart_times.clear()
                    self._tell(actor, ChildEventKind.RETRYING)
                    delay = 0.0
                else:
                    delay = policy.backoff.delay(len(child.restart_times))
                    child.restart_times.append(now)
                    actor.stats.state = ActorState.RESTARTING
                actor.stats.restarts += 1
                if actor.mailbox is not None:
                    actor.mailbox.reopen()
                await self._pause(child, delay)
        finally:
            if actor.stats.state is not ActorState.FAILED or child.stopping:
                actor.stats.state = ActorState.STOPPED
            self.registry.unregister(actor)
            if self._children.get(actor.name) is child:
                del self._children[actor.name]
            child.done.set()

    def _fail(self, child: _Child, restarts: int) -> None:
        actor = child.actor
        actor.stats.state = ActorState.FAILED
        log.error(
            "%s: %s crashed %d times within %g s; FAILED, next try in %g s (last: %s)",
            self.name,
            actor.name,
            restarts + 1,
            child.policy.within_s,
            child.policy.retry_after_s,
            actor.stats.last_error,
        )
        self._tell(actor, ChildEventKind.FAILED)

    async def _pause(self, child: _Child, delay: float) -> None:
        child.scope = trio.CancelScope()
        child.waiting = True
        try:
            with child.scope:
                await trio.sleep(delay)
        finally:
            child.waiting = False

    def _tell(self, actor: Actor[Any], kind: ChildEventKind) -> None:
        if self.events is None:
            return
        event = ChildEvent(
            self.name, actor.name, kind, actor.stats.restarts, actor.stats.last_error
        )
        try:
            self.events.put_nowait(event)
        except (trio.WouldBlock, MailboxClosed):
            log.warning(
                "%s: events mailbox closed; %s %s not reported", self.name, actor.name, kind.value
            )

    def counters(self) -> Counters:
        out = super().counters()
        out["children"] = len(self._children)
        return out


def _unwrap(exc: Exception) -> Exception:
    while isinstance(exc, ExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc
