"""The actor: a named, long-running trio task with an optional mailbox and counters.

An actor's `run` is the whole of its life: it calls `task_status.started()` once it is ready
(so `await nursery.start(actor.run)` returns only when the service is up), then works until
its input ends, it is cancelled, or it crashes. It holds no reference to its supervisor:
restarting, escalating and stopping are decided above it, so an actor stays a small, testable
loop. State that must survive a restart (the mailbox, the counters) lives on the object, not
in `run`'s locals; the supervisor writes the actor's lifecycle (`stats.state`, `restarts`,
`last_error`) there too, so the registry can report every actor without asking its parent.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Generic, TypeVar

import trio

from lfr.kernel.mailbox import Mailbox

M = TypeVar("M")

# What an actor reports: numbers, plus its state and last error as text.
Counters = dict[str, float | int | str | None]


class ActorState(enum.Enum):
    STARTING = "starting"  # run() called, not ready yet
    RUNNING = "running"  # ready (task_status.started() was called)
    RESTARTING = "restarting"  # crashed; waiting out its back-off before the next start
    FAILED = "failed"  # crashed too often; left stopped until its long retry
    STOPPED = "stopped"  # ended, or not started


@dataclass(slots=True)
class ActorStats:
    processed: int = 0
    errors: int = 0
    restarts: int = 0
    service_time_s: float = 0.0
    max_service_time_s: float = 0.0
    state: ActorState = ActorState.STOPPED
    last_error: str | None = None

    @contextmanager
    def timing(self, messages: int = 1) -> Iterator[None]:
        """Count the handling of `messages` messages: service time, and an error if it
        raises."""
        t0 = time.perf_counter()
        try:
            yield
        except Exception:
            self.errors += 1
            raise
        finally:
            dt = time.perf_counter() - t0
            self.service_time_s += dt
            self.max_service_time_s = max(self.max_service_time_s, dt)
        self.processed += messages


class Actor(Generic[M]):
    """Base class. Subclasses either override `handle` (one message at a time from the
    mailbox; the default `run` loops over it) or override `run` entirely (a source). One whose
    `batch_limit` is over 1 gets, through `handle_batch`, every message queued when it takes
    the next, up to that many: the cost paid once per call (a commit) is then shared by a
    burst instead of making its last message wait for all the others one by one.

    A message whose handling raises is counted as an error and crashes the actor; the
    supervisor restarts it with the rest of its mailbox, but that message is not retried, so
    one poison message cannot crash-loop an actor into escalation."""

    batch_limit = 1  # the most messages one `handle_batch` call takes

    def __init__(self, name: str, *, mailbox: Mailbox[M] | None = None) -> None:
        self.name = name
        self.mailbox = mailbox
        self.stats = ActorStats()

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Handle mailbox messages until the mailbox is closed and drained."""
        if self.mailbox is None:
            raise TypeError(f"actor {self.name}: no mailbox; override run() instead")
        await self.on_start()
        task_status.started()
        async for message in self.mailbox:
            batch = [message, *self.mailbox.take_nowait(self.batch_limit - 1)]
            with self.stats.timing(len(batch)):
                await self.handle_batch(batch)

    async def on_start(self) -> None:
        """Acquire what the actor needs before it reports ready (runs again on restart)."""

    async def handle(self, message: M) -> None:
        raise NotImplementedError(f"actor {self.name}: override handle() or run()")

    async def handle_batch(self, messages: list[M]) -> None:
        """Messages taken together, in mailbox order (see `batch_limit`); one at a time by
        default. If it raises, none of the batch is retried."""
        for message in messages:
            await self.handle(message)

    def request_stop(self) -> None:
        """Ask for a graceful end: no new input, finish what is queued. The supervisor calls
        this, then cancels the actor if it has not ended by the deadline."""
        if self.mailbox is not None:
            self.mailbox.close()

    def counters(self) -> Counters:
        """What the registry reports for this actor: its lifecycle, its message counts and its
        mailbox (depth and drops). Subclasses add their own numbers."""
        out: Counters = {
            "state": self.stats.state.value,
            "restarts": self.stats.restarts,
            "last_error": self.stats.last_error,
            "processed": self.stats.processed,
            "errors": self.stats.errors,
            "service_time_s": round(self.stats.service_time_s, 6),
            "max_service_time_s": round(self.stats.max_service_time_s, 6),
        }
        if self.mailbox is not None:
            box = self.mailbox.stats()
            out["queue_depth"] = box["depth"]
            out["queue_capacity"] = box["capacity"]
            out["queue_high_water"] = box["high_water"]
            out["dropped"] = box["dropped"]
        return out

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
