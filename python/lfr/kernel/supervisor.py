"""One-for-one supervision: restart a crashed actor, give up loudly when it keeps crashing.

Like an Erlang/OTP supervisor, reduced to what a camera daemon needs: each child restarts on
its own (one-for-one) after a backoff; if a child crashes more than `max_restarts` times within
`within_s` seconds, restarting is not helping, so the supervisor escalates by raising
`EscalationError` out of its own `run` (its parent then restarts it, with all its children, or
the daemon stops with that error). A stop is graceful first: the child is asked to finish its
queued work, and cancelled only when the deadline passes.
"""

from __future__ import annotations

import enum
import logging
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import trio

from lfr.errors import StateError
from lfr.kernel.actor import Actor
from lfr.kernel.registry import Registry

log = logging.getLogger(__name__)


class Restart(enum.Enum):
    PERMANENT = "permanent"  # restarted whenever it ends, even normally
    TRANSIENT = "transient"  # restarted only after a crash (the default)
    TEMPORARY = "temporary"  # never restarted


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    max_restarts: int = 5
    within_s: float = 30.0
    backoff_initial_s: float = 0.1
    backoff_max_s: float = 5.0
    restart: Restart = Restart.TRANSIENT

    def backoff(self, recent_restarts: int) -> float:
        return min(self.backoff_max_s, self.backoff_initial_s * 2.0 ** max(0, recent_restarts))


class EscalationError(StateError):
    """An actor crashed too often; `__cause__` is its last crash."""

    def __init__(self, actor: str, restarts: int, within_s: float) -> None:
        super().__init__(
            f"actor {actor!r} crashed {restarts + 1} times within {within_s:g} s; giving up"
        )
        self.actor = actor
        self.restarts = restarts


@dataclass(eq=False)
class _Child:
    actor: Actor[Any]
    policy: RestartPolicy
    scope: trio.CancelScope = field(default_factory=trio.CancelScope)
    done: trio.Event = field(default_factory=trio.Event)
    stopping: bool = False
    in_backoff: bool = False
    restart_times: deque[float] = field(default_factory=deque)
    last_error: BaseException | None = None


class Supervisor(Actor[None]):
    """Runs children in its own nursery. `await sup.start(actor)` returns once the actor is
    ready; it is then restarted per its policy until `stop(name)` or the supervisor ends."""

    def __init__(
        self,
        name: str = "supervisor",
        *,
        registry: Registry | None = None,
        stop_timeout_s: float = 5.0,
    ) -> None:
        super().__init__(name)
        self.registry = registry if registry is not None else Registry()
        self.stop_timeout_s = stop_timeout_s
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
            escalation = _find(group, EscalationError)
            if escalation is not None and _only_cancelled_besides(group, escalation):
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
        supervisor and its other children running."""
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
        """Stop child `name`: ask it to drain, cancel it at the deadline. True if it ended
        within the deadline by itself."""
        self._specs.pop(name, None)
        child = self._children.get(name)
        if child is None:
            return True
        child.stopping = True
        if child.in_backoff:  # nothing to drain: do not wait out the deadline
            child.scope.cancel()
        child.actor.request_stop()
        with trio.move_on_after(self.stop_timeout_s if timeout_s is None else timeout_s):
            await child.done.wait()
        drained = child.done.is_set()
        if not drained:
            log.warning("%s: %s did not stop in time; cancelling", self.name, name)
            child.scope.cancel()
            await child.done.wait()
        return drained

    async def shutdown(self, timeout_s: float | None = None) -> None:
        """Stop every child at once, each with the same deadline."""
        async with trio.open_nursery() as nursery:
            for name in list(self._children):
                nursery.start_soon(self.stop, name, timeout_s)

    def children(self) -> list[str]:
        return list(self._children)

    def child_error(self, name: str) -> BaseException | None:
        child = self._children.get(name)
        return None if child is None else child.last_error

    async def _supervise(
        self, child: _Child, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        actor, policy = child.actor, child.policy
        reported = False
        try:
            while not child.stopping:
                error: Exception | None = None
                child.scope = trio.CancelScope()
                with child.scope:
                    try:
                        async with trio.open_nursery() as inner:
                            await inner.start(actor.run)
                            if not reported:
                                task_status.started()
                                reported = True
                    except Exception as exc:  # noqa: BLE001 - any crash is the supervisor's to handle
                        error = _unwrap(exc)
                if child.scope.cancelled_caught or child.stopping:
                    return
                if error is None and policy.restart is not Restart.PERMANENT:
                    return
                child.last_error = error
                if error is not None:
                    log.warning("%s: %s crashed: %r", self.name, actor.name, error)
                    if policy.restart is Restart.TEMPORARY:
                        return
                now = trio.current_time()
                while child.restart_times and now - child.restart_times[0] > policy.within_s:
                    child.restart_times.popleft()
                if len(child.restart_times) >= policy.max_restarts:
                    raise EscalationError(
                        actor.name, len(child.restart_times), policy.within_s
                    ) from error
                delay = policy.backoff(len(child.restart_times))
                child.restart_times.append(now)
                actor.stats.restarts += 1
                if actor.mailbox is not None:
                    actor.mailbox.reopen()
                child.scope = trio.CancelScope()
                child.in_backoff = True
                with child.scope:
                    await trio.sleep(delay)
                child.in_backoff = False
        finally:
            self.registry.unregister(actor)
            if self._children.get(actor.name) is child:
                del self._children[actor.name]
            child.done.set()

    def counters(self) -> dict[str, float | int]:
        out = super().counters()
        out["children"] = len(self._children)
        return out


def _unwrap(exc: Exception) -> Exception:
    while isinstance(exc, ExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return exc


def _find(group: BaseExceptionGroup, kind: type[EscalationError]) -> EscalationError | None:
    for exc in group.exceptions:
        if isinstance(exc, kind):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _find(exc, kind)
            if found is not None:
                return found
    return None


def _only_cancelled_besides(group: BaseExceptionGroup, keep: BaseException) -> bool:
    for exc in group.exceptions:
        if exc is keep or isinstance(exc, trio.Cancelled):
            continue
        if isinstance(exc, BaseExceptionGroup) and _only_cancelled_besides(exc, keep):
            continue
        return False
    return True
