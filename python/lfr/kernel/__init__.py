"""The microkernel: actors with bounded mailboxes, one-for-one supervision, a registry.

Trio only, and deliberately small: an actor is a task with a `run(task_status=...)`, a
supervisor restarts crashed actors after a back-off and, when restarts stop helping, escalates
or leaves the actor FAILED as its policy says; the registry finds actors by name and reports
every actor's counters.
"""

from __future__ import annotations

from lfr.kernel.actor import Actor, ActorState, ActorStats, Counters
from lfr.kernel.backoff import Backoff
from lfr.kernel.mailbox import Mailbox, MailboxClosed, MailboxPolicy
from lfr.kernel.policy import (
    ChildEvent,
    ChildEventKind,
    EscalationError,
    GiveUp,
    Restart,
    RestartPolicy,
)
from lfr.kernel.registry import NameTaken, Registry
from lfr.kernel.supervisor import Supervisor

__all__ = [
    "Actor",
    "ActorState",
    "ActorStats",
    "Backoff",
    "ChildEvent",
    "ChildEventKind",
    "Counters",
    "EscalationError",
    "GiveUp",
    "Mailbox",
    "MailboxClosed",
    "MailboxPolicy",
    "NameTaken",
    "Registry",
    "Restart",
    "RestartPolicy",
    "Supervisor",
]
