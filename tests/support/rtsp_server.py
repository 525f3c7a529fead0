"""Run the RTSP test server: `/usr/bin/python3 tests/support/rtsp_server.py CLIP [--port N]`.

The server itself is `python/lfr/devserver/gst_rtsp_server.py` (shipped for `lfr demo`); this
entry point only runs it, so the tests and the demo serve exactly the same stream.
"""

from __future__ import annotations

import runpy
from pathlib import Path

if __name__ == "__main__":
    script = Path(__file__).resolve().parents[2] / "python/lfr/devserver/gst_rtsp_server.py"
    runpy.run_path(str(script), run_name="__main__")
