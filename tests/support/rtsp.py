"""The real RTSP test server, driven by PID (start, kill -9, SIGSTOP, SIGCONT, stop).

The implementation ships in the package (`lfr.devserver.rtsp`) because `lfr demo` uses it
too; tests import it from here.
"""

from __future__ import annotations

from lfr.devserver.rtsp import SERVER_SCRIPT, RtspServer, RtspServerError, gstreamer_missing

__all__ = ["SERVER_SCRIPT", "RtspServer", "RtspServerError", "gstreamer_missing"]
