"""What a supervisor does with a child: when to restart it, how long to wait, when to give up,
and what giving up means.

Like an Erlang/OTP child spec: a policy is data, declared where the tree is assembled, so every
restart rule of a program can be read in one place. Giving up has two meanings. A child whose
loss is the program's loss escalates (its supervisor fails, and its parent decides); a child
the program can live without (one camera of many) is left FAILED, reported, and tried again
after a long wait, so an owner who fixes it does not have to restart the daemon.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

import trio

from lfr.errors import StateError
from lfr.kernel.backoff import Backoff


class Restart(enum.Enum):
    PERMANENT = "permanent"  # restarted whenever it ends, even normally (a service)
    TRANSIENT = "transient"  # restarted only after a crash (a camera: a file may end)


class GiveUp(enum.Enum):
    ESCALATE = "escalate"  # raise EscalationError out of the supervisor
    FAIL = "fail"  # mark the child FAILED, tell the events mailbox, retry after retry_after_s


@dataclass(frozen=True, slots=True)
class RestartPolicy:
    """At most `max_restarts` restarts within `within_s`, each after `backoff`; then `give_up`.
    `shutdown_s` is how long a stop waits for the child to drain before cancelling it."""

    max_restarts: int = 5
    within_s: float = 30.0
    backoff: Backoff = field(default_factory=lambda: Backoff(0.1, 5.0, jitter=0.1))
    restart: Restart = Restart.TRANSIENT
    give_up: GiveUp = GiveUp.ESCALATE
    retry_after_s: float = 300.0
    shutdown_s: float = 5.0

    def __post_init__(self) -> None:
        if self.max_restarts < 0 or self.within_s <= 0:
            raise ValueError(f"restart policy: need max_restarts >= 0 and within_s > 0: {self}")
        if self.retry_after_s <= 0 or self.shutdown_s < 0:
            raise ValueError(f"restart policy: need retry_after_s > 0, shutdown_s >= 0: {self}")


class EscalationError(StateError):
    """An actor crashed too often; `__cause__` is its last crash."""

    def __init__(self, actor: str, restarts: int, within_s: float, cause: BaseException) -> None:
        crashes = (
            f"{restarts + 1} times within {within_s:g} s" if restarts else "and may not restart"
        )
        super().__init__(
            f"actor {actor!r} crashed {crashes}; giving up (last: {type(cause).__name__}: {cause})"
        )
        self.actor = actor
        self.restarts = restarts


def escalation_in(group: BaseExceptionGroup) -> EscalationError | None:
    """The EscalationError a nursery raised, if it is all the group holds besides the
    cancellations it caused (then it travels up as itself, not wrapped)."""
    found = _find(group)
    return found if found is not None and _only_cancelled_besides(group, found) else None


def _find(group: BaseExceptionGroup) -> EscalationError | None:
    for exc in group.exceptions:
        if isinstance(exc, EscalationError):
            return exc
        if isinstance(exc, BaseExceptionGroup):
            found = _find(exc)
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


class ChildEventKind(enum.Enum):
    CRASHED = "crashed"  # it raised; a restart follows after its back-off
    FAILED = "failed"  # it crashed too often: left stopped until its retry
    RETRYING = "retrying"  # a FAILED child is started again after retry_after_s


@dataclass(frozen=True, slots=True)
class ChildEvent:
    """What a supervisor tells its events mailbox about a child (for the log, the audit
    trail and the status), so the supervisor itself knows nothing of stores or sockets."""

    supervisor: str
    actor: str
    kind: ChildEventKind
    restarts: int
    error: str | None = None
