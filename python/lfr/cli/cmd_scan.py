"""`lfr scan SOURCE --watchlist NAME`: the whole pipeline over one source until it ends.

It runs the daemon's supervision tree with this one camera and no listeners (no socket, no
housekeeping), so a scan exercises exactly the path a live camera takes.

Alerts go to stdout as they happen (one JSON object per line with `--json`), the summary to
stderr at the end (with `--json`, one JSON object on stderr's last line), so a script can
pipe the alerts and still read the figures. A file is analysed frame by frame by default;
`--realtime` paces it like a live camera (keep-latest: frames the analysis cannot keep up with
are dropped and counted).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import trio

from lfr.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "scan",
        help="run the pipeline over one video, stream or image folder",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument(
        "source", help="a video file, a folder of images, rtsp://, http(s)://, or /dev/videoN"
    )
    p.add_argument("--watchlist", required=True, help="the watchlist to match against")
    p.add_argument("--json", action="store_true", help="JSON lines out, JSON summary")
    p.add_argument(
        "--realtime", action="store_true", help="pace a file at its own frame rate, live semantics"
    )
    p.add_argument("--fps", type=float, default=None, help="analysis rate cap")
    p.add_argument(
        "--camera", default=None, help="camera id for the alerts (default: scan:<source name>)"
    )
    p.add_argument(
        "--threshold",
        type=float,
        default=None,
        help="cosine match threshold (default: the watchlist's, else the model's)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lfr.daemon.policies import SCAN
    from lfr.daemon.tree import scan_one
    from lfr.pipeline.alerts import StreamOutput
    from lfr.pipeline.engine import EngineSettings
    from lfr.pipeline.session import open_engine, print_summary
    from lfr.stream import open_camera, redact

    if args.fps is not None and not args.fps > 0:
        raise InputError(f"--fps must be > 0, got {args.fps}")
    shown = redact(args.source)  # a camera id is stored: never with the URL's password
    camera_id = args.camera or f"scan:{Path(shown).name or shown}"[:64]
    try:
        source = open_camera(
            args.source, camera_id=camera_id, fps=args.fps, realtime=args.realtime or None
        )
    except ValueError as exc:
        raise InputError(str(exc)) from None
    settings = EngineSettings(threshold=args.threshold)
    with open_engine([StreamOutput(sys.stdout, as_json=args.json)], settings) as engine:
        outcome = engine.watchlists.load(args.watchlist)
        if not outcome.loaded:
            raise InputError(f"watchlist {args.watchlist!r}: {outcome.error}")
        media_clock = not (args.realtime or source.spec.kind.live)
        ctx = engine.camera(camera_id, args.watchlist, media_clock=media_clock)
        engine.begin_run(_scan_hash(args))
        try:
            camera = trio.run(scan_one, engine, SCAN, source, ctx)
        finally:
            engine.end_run("scan ended")
        source.raise_if_failed()
        summary = engine.summary([camera])
    print_summary(summary, as_json=args.json)
    return 0


def _scan_hash(args: argparse.Namespace) -> str:
    """What the audit records as this run's configuration."""
    import hashlib

    settings = {
        "scan": str(args.source),
        "watchlist": args.watchlist,
        "fps": args.fps,
        "realtime": args.realtime,
        "threshold": args.threshold,
    }
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
