"""`lfr scan SOURCE --watchlist NAME`: the whole pipeline over one source until it ends.

It runs the daemon's supervision tree with this one camera and no listeners (no socket, no
housekeeping), so a scan exercises exactly the path a live camera takes.

Alerts go to stdout as they happen (one JSON object per line with `--json`), the summary to
stderr at the end (with `--json`, one JSON object on stderr's last line), so a script can
pipe the alerts and still read the figures. A file is analysed frame by frame by default;
`--realtime` paces it like a live camera (keep-latest: frames the analysis cannot keep up with
are dropped and counted). `--trace FILE` records where each frame's time went, as a Chrome
trace (open it in Perfetto UI or chrome://tracing; the format is `lfr.telemetry.trace`'s).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Awaitable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio

from lfr.cli.progress import REDRAW_S, Progress
from lfr.errors import InputError

if TYPE_CHECKING:
    from lfr.pipeline.snapshot import CameraSnapshot


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
    p.add_argument(
        "--trace",
        type=Path,
        default=None,
        metavar="FILE",
        help="write a per-frame trace (Chrome trace-event JSON: Perfetto, chrome://tracing)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lfr.daemon.policies import SCAN
    from lfr.daemon.tree import scan_one
    from lfr.pipeline.alerts import StreamOutput
    from lfr.pipeline.engine import EngineSettings
    from lfr.pipeline.session import open_engine, print_summary
    from lfr.stream import open_camera, redact
    from lfr.telemetry import Telemetry, TraceRecorder

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
    tracer = TraceRecorder(process=f"lfr scan {camera_id}") if args.trace else None
    telemetry = Telemetry(tracer=tracer)
    outputs = [StreamOutput(sys.stdout, as_json=args.json)]
    with open_engine(outputs, settings, telemetry=telemetry) as engine:
        outcome = engine.watchlists.load(args.watchlist)
        if not outcome.loaded:
            raise InputError(f"watchlist {args.watchlist!r}: {outcome.error}")
        media_clock = not (args.realtime or source.spec.kind.live)
        ctx = engine.camera(camera_id, args.watchlist, media_clock=media_clock)
        engine.begin_run(_scan_hash(args))
        bar = Progress("scan", total=_frames_in(source), quiet=args.json)
        try:
            with bar:
                camera = trio.run(_scan_showing, bar, scan_one(engine, SCAN, source, ctx), source)
        finally:
            engine.end_run("scan ended")
        source.raise_if_failed()
        summary = engine.summary([camera])
    if tracer is not None:
        tracer.close()
        events = tracer.write(args.trace)
        print(f"trace: {events} events written to {args.trace}", file=sys.stderr)
    print_summary(summary, as_json=args.json)
    return 0


async def _scan_showing(bar: Progress, scan: Awaitable[CameraSnapshot], source: Any) -> Any:
    """Run `scan`, redrawing `bar` from the source's counters while it runs (on a terminal)."""
    async with trio.open_nursery() as nursery:
        if bar.enabled:
            nursery.start_soon(_show, bar, source)
        camera = await scan
        nursery.cancel_scope.cancel()
    _draw_counts(bar, source)  # the last frames came after the last redraw
    return camera


async def _show(bar: Progress, source: Any) -> None:
    while True:
        _draw_counts(bar, source)
        await trio.sleep(REDRAW_S)


def _draw_counts(bar: Progress, source: Any) -> None:
    counts = source.counts
    bar.update(counts.frames_decoded, note=f"dropped {counts.frames_dropped}")


def _frames_in(source: Any) -> int | None:
    """How many pictures a file or folder holds (for the bar's ETA); None for a stream or an
    unknown count. Read only when the bar is drawn: a terminal, not --json."""
    import av

    from lfr.stream import InputKind
    from lfr.stream.inputs import folder_images, local_path

    spec = source.spec
    if not sys.stderr.isatty() or spec.loop:
        return None
    try:
        if spec.kind is InputKind.FOLDER:
            return len(folder_images(local_path(spec.url))) or None
        if spec.kind is InputKind.FILE:
            with av.open(str(local_path(spec.url))) as container:
                return int(container.streams.video[0].frames) or None
    except (OSError, IndexError, av.error.FFmpegError):
        return None
    return None


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
