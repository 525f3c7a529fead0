"""The live daemon (`lfr-run`): cameras in, alerts out, for days."""

from lfr.daemon.service import Daemon, DaemonStartError

__all__ = ["Daemon", "DaemonStartError"]
