"""Every restart rule of the supervision tree, in one place (see `lfr.daemon.tree`).

Read top to bottom, this is what the daemon does when something breaks: a camera that keeps
crashing is left FAILED and tried again every 5 minutes while everything else runs on; a
broken alert path, socket or camera supervisor is restarted a few times and then stops the
daemon (with the error) so a service manager restarts it whole, since running without them
would lose alerts silently. The console and the metrics endpoint are the exceptions: alerts
reach the socket and the logs without them, so each is left FAILED and retried, like
housekeeping. `shutdown_s` adds up to the stop deadline the operations guide
promises (under 5 s): cameras drain the frame in hand first, the alert actor its queue next.

`lfr scan` uses the same tree, but a scan that crashes must fail, not start the file over.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from lfr.kernel.backoff import Backoff
from lfr.kernel.policy import GiveUp, Restart, RestartPolicy

CAMERA_STOP_S = 3.0  # a camera finishes the frame in hand within this


@dataclass(frozen=True, slots=True)
class Policies:
    socket: RestartPolicy
    alerts: RestartPolicy
    cameras: RestartPolicy  # the cameras' supervisor itself
    camera: RestartPolicy  # each camera
    housekeeping: RestartPolicy
    cluster: RestartPolicy  # the link to the other sites (lfr.cluster)
    console: RestartPolicy
    metrics: RestartPolicy  # the Prometheus endpoint


def _left_failed(
    shutdown_s: float, *, restart: Restart = Restart.PERMANENT, backoff: Backoff | None = None
) -> RestartPolicy:
    """A service the daemon runs on without: restarted up to 5 times a minute, then left
    FAILED (`lfr status`, the audit trail) and tried again every 5 minutes."""
    rule = RestartPolicy(
        max_restarts=5,
        within_s=60.0,
        restart=restart,
        give_up=GiveUp.FAIL,
        retry_after_s=300.0,
        shutdown_s=shutdown_s,
    )
    return rule if backoff is None else replace(rule, backoff=backoff)


DAEMON = Policies(
    socket=RestartPolicy(max_restarts=5, within_s=60.0, restart=Restart.PERMANENT, shutdown_s=0.5),
    alerts=RestartPolicy(max_restarts=5, within_s=60.0, restart=Restart.PERMANENT, shutdown_s=1.0),
    cameras=RestartPolicy(
        max_restarts=3, within_s=60.0, restart=Restart.PERMANENT, shutdown_s=CAMERA_STOP_S + 0.2
    ),
    # A file may end: only a crash restarts a camera, with back-off.
    camera=_left_failed(CAMERA_STOP_S, restart=Restart.TRANSIENT, backoff=Backoff(0.5, 10.0)),
    housekeeping=_left_failed(0.5),
    # A lost NATS link is not a crash (the actor retries it itself, and the site alerts on
    # locally); a crash is a bug, retried a few times, then left FAILED and tried again
    # later, never stopping the daemon: the store keeps the outbox meanwhile.
    cluster=_left_failed(3.0, restart=Restart.TRANSIENT, backoff=Backoff(0.5, 10.0)),
    # Alerts still reach the socket and the logs without it: a console that keeps crashing is
    # left FAILED and tried again later rather than stopping the daemon. Its stop ends the
    # pages' event streams first, then gives requests in flight a second.
    console=_left_failed(1.5),
    # Observability, not alerting: a broken endpoint is left FAILED (`lfr status` shows it,
    # the scrape target goes down) and retried, while the cameras and alerts run on.
    metrics=_left_failed(0.5),
)

SCAN = replace(
    DAEMON,
    cameras=replace(DAEMON.cameras, max_restarts=0),
    camera=replace(DAEMON.camera, max_restarts=0, give_up=GiveUp.ESCALATE),
)
