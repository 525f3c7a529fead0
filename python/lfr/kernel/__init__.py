"""The microkernel: actors with bounded mailboxes, one-for-one supervision, a registry.

Trio only, and deliberately small: an actor is a task with a `run(task_status=...)`, a
supervisor restarts crashed actors with backoff and escalates when restarts stop helping.
"""

from __future__ import annotations

from lfr.kernel.actor import Actor, ActorStats
from lfr.kernel.mailbox import Mailbox, MailboxClosed, MailboxPolicy
from lfr.kernel.registry import NameTaken, Registry
from lfr.kernel.supervisor import EscalationError, Restart, RestartPolicy, Supervisor

__all__ = [
    "Actor",
    "ActorStats",
    "EscalationError",
    "Mailbox",
    "MailboxClosed",
    "MailboxPolicy",
    "NameTaken",
    "Registry",
    "Restart",
    "RestartPolicy",
    "Supervisor",
]
