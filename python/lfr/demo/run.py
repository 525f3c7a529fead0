"""The demo: a temporary deployment, one enrolled person, one camera, live alerts, a summary.

It runs the real daemon (store, socket, supervised camera, pipeline), not a shortcut, so what
it shows is what an operator gets: the camera is a real RTSP server on loopback when
GStreamer is installed, else the clip paced in real time like a live camera.
"""

from __future__ import annotations

import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import av
import trio

from lfr.config import parse_config
from lfr.demo.console import LISTEN, DemoLogin, banner, create_demo_officer
from lfr.demo.media import DemoMedia, pick_media
from lfr.paths import sample_data_dir
from lfr.pipeline.session import print_summary

if TYPE_CHECKING:
    from lfr.daemon import Daemon
    from lfr.devserver.rtsp import RtspServer

CAMERA = "demo-cam"
WATCHLIST = "demo"


def _say(text: str) -> None:
    print(f"demo: {text}", file=sys.stderr, flush=True)


def clip_seconds(clip: Path) -> float:
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        if stream.duration is not None and stream.time_base is not None:
            return float(stream.duration * stream.time_base)
        return float(container.duration or 0) / av.time_base


def enrol_subject(home: Path, media: DemoMedia, analyzer: object) -> None:
    from lfr.store import Store
    from lfr.watchlist.enrol import enrol

    with Store.open(home) as store:
        store.watchlists.create(
            WATCHLIST,
            actor="demo",
            purpose="lfr demo",
            authorised_by="lfr demo",
            legal_basis="demonstration",
            expires_at=time.time() + 86400,
        )
        enrol(
            store,
            analyzer,
            WATCHLIST,
            media.identity,
            [media.enrol],
            actor="demo",
            label=media.label,
            category="demo",
        )


def run_demo(*, rtsp: bool | None = None, as_json: bool = False, keep: bool = False) -> int:
    """`keep`: after the clip, keep the daemon and its console up until Ctrl-C."""
    from lfr.daemon import Daemon
    from lfr.inference import FaceAnalyzer

    with tempfile.TemporaryDirectory(prefix="lfr-demo-") as tmp:
        workdir = Path(tmp)
        home = workdir / "home"
        media = pick_media(sample_data_dir(), workdir)
        _say(f"using {media.source}")
        analyzer = FaceAnalyzer.create()
        enrol_subject(home, media, analyzer)
        _say(f"watchlist {WATCHLIST!r}: enrolled {media.label} from {media.enrol.name}")
        login = create_demo_officer(home)
        server = _rtsp_server(media.clip) if rtsp is not False else None
        try:
            url = server.start() if server is not None else str(media.clip)
            _say(f"camera {CAMERA}: {url}" + ("" if server else " (paced in real time)"))
            config = parse_config(
                {
                    "daemon": {"data_dir": str(home)},
                    "logging": {"json": as_json, "level": "WARNING"},
                    "console": {"listen": LISTEN},
                    "cameras": [
                        {"id": CAMERA, "url": url, "watchlist": WATCHLIST, "loop": server is None}
                    ],
                }
            )
            daemon = Daemon(config, handle_signals=False, announce=_say)
            trio.run(_watch, daemon, clip_seconds(media.clip), login, keep)
            summary = daemon.summary()
        finally:
            if server is not None:
                server.stop()
    print_summary(summary, as_json=as_json)
    return 0


async def _watch(daemon: Daemon, seconds: float, login: DemoLogin, keep: bool) -> None:
    """Run the daemon for one pass of the clip from the moment the camera is live (and on,
    with `keep`, until Ctrl-C)."""
    from lfr.stream import CameraState

    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        if daemon.console is not None:
            _say(banner(daemon.console.url, login))
        camera = daemon.camera(CAMERA)
        if camera is not None:
            with trio.move_on_after(30):
                await camera.source.wait_state(CameraState.LIVE)
        _say(f"camera live; watching one pass ({seconds:.1f} s)")
        await trio.sleep(seconds + 0.5)
        if keep:
            url = daemon.console.url if daemon.console is not None else "-"
            _say(f"clip done; daemon and console kept up at {url}/ (Ctrl-C to stop)")
            with trio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
                async for _signum in signals:
                    break
        daemon.request_stop()


def _rtsp_server(clip: Path) -> RtspServer | None:
    from lfr.devserver.rtsp import RtspServer, gstreamer_missing

    missing = gstreamer_missing()
    if missing:
        _say(f"no RTSP server ({missing}); playing the file in real time instead")
        return None
    return RtspServer(clip)
