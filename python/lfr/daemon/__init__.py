"""The live daemon (`lfr-run`): cameras in, alerts out, for days.

`Daemon` is imported on first use: `lfr scan` runs the daemon's tree (`lfr.daemon.tree`)
without the service around it, and should not pay for the socket, the console, the metrics
endpoint and the cluster link at start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lfr.daemon.service import Daemon, DaemonStartError

__all__ = ["Daemon", "DaemonStartError"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from lfr.daemon import service

        return getattr(service, name)
    raise AttributeError(f"module 'lfr.daemon' has no attribute {name!r}")
