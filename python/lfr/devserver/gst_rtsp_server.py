"""A real RTSP server on loopback serving a video file in a loop, for tests and `lfr demo`.

Runs under Debian's /usr/bin/python3 (GStreamer's `gi` bindings are not in the venv), as a
script, never imported by lfr:

    /usr/bin/python3 gst_rtsp_server.py CLIP [--port 0] [--path /cam] [--width W]
                                             [--transport any|tcp|udp]

prints `READY rtsp://127.0.0.1:PORT/cam` on stdout once it accepts connections, then serves
until killed. Each media pipeline decodes the clip, seeks back to the start at its end, stamps
frames with a continuous clock and re-encodes them (`x264enc tune=zerolatency key-int-max=25`):
re-muxing the original stream in a loop would restart its timestamps and play at the wrong
rate. Only GStreamer, no lfr code: the server must behave like a third-party camera.
`--transport udp` offers RTP over UDP only (the default of several cameras and encoders): a
client asking for TCP interleaving gets `461 Unsupported transport`; `tcp` is the reverse.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import threading
from pathlib import Path
from typing import Any

ENCODE = (
    "appsrc name=src is-live=true format=time do-timestamp=false ! videoconvert ! "
    "video/x-raw,format=I420 ! x264enc tune=zerolatency speed-preset=ultrafast "
    "key-int-max=25 threads=1 ! video/x-h264,profile=baseline ! "
    "rtph264pay name=pay0 pt=96 config-interval=1"
)


class LoopedClip:
    """Decoded frames of a file, forever: at the end, seek to the start and carry on."""

    def __init__(self, gst: Any, path: Path, width: int | None) -> None:
        self.gst = gst
        scale = f"videoscale ! video/x-raw,width={width},pixel-aspect-ratio=1/1 ! " if width else ""
        self.pipeline = gst.parse_launch(
            f"filesrc name=file ! decodebin ! videoconvert ! {scale}"
            "video/x-raw,format=I420 ! appsink name=sink sync=false max-buffers=8"
        )
        self.pipeline.get_by_name("file").set_property("location", str(path))
        self.sink = self.pipeline.get_by_name("sink")
        self.pipeline.set_state(gst.State.PLAYING)
        self.lock = threading.Lock()

    def next_sample(self) -> Any:
        gst = self.gst
        with self.lock:
            for _ in range(2):
                sample = self.sink.emit("try-pull-sample", 5 * gst.SECOND)
                if sample is not None:
                    return sample
                if not self.sink.get_property("eos"):
                    return None
                self.pipeline.seek_simple(
                    gst.Format.TIME, gst.SeekFlags.FLUSH | gst.SeekFlags.KEY_UNIT, 0
                )
            return None

    def close(self) -> None:
        self.pipeline.set_state(self.gst.State.NULL)


def configure_media(gst: Any, media: Any, clip: Path, width: int | None) -> None:
    """Feed one media pipeline's appsrc from a looped decode of the clip."""
    source = LoopedClip(gst, clip, width)
    appsrc = media.get_element().get_by_name("src")
    first = source.next_sample()
    if first is None:
        print(f"cannot decode {clip}", file=sys.stderr, flush=True)
        return
    caps = first.get_caps()
    appsrc.set_property("caps", caps)
    ok, num, den = caps.get_structure(0).get_fraction("framerate")
    if not ok or num == 0:
        num, den = 25, 1
    duration = gst.util_uint64_scale(gst.SECOND, den, num)
    state: dict[str, Any] = {"n": 0, "pending": first}

    def need_data(src: Any, _length: int) -> None:
        sample = state.pop("pending", None) or source.next_sample()
        if sample is None:
            src.emit("end-of-stream")
            return
        buf = sample.get_buffer().copy()
        buf.pts = state["n"] * duration
        buf.dts = buf.pts
        buf.duration = duration
        state["n"] += 1
        src.emit("push-buffer", buf)

    appsrc.connect("need-data", need_data)
    media.connect("unprepared", lambda _m: source.close())


def main() -> int:
    parser = argparse.ArgumentParser(description="serve a video file over RTSP, looped")
    parser.add_argument("clip", type=Path)
    parser.add_argument("--port", type=int, default=0, help="0: any free port")
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--width", type=int, default=None, help="scale to this width")
    parser.add_argument(
        "--transport",
        choices=("any", "tcp", "udp"),
        default="any",
        help="RTP transports offered to clients (default: both)",
    )
    args = parser.parse_args()
    if not args.clip.is_file():
        print(f"no such clip: {args.clip}", file=sys.stderr)
        return 2

    import gi  # type: ignore[import-not-found]

    gi.require_version("Gst", "1.0")
    gi.require_version("GstRtsp", "1.0")
    gi.require_version("GstRtspServer", "1.0")
    from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # type: ignore[import-not-found]

    Gst.init(None)
    clip, width = args.clip.resolve(), args.width

    class LoopFactory(GstRtspServer.RTSPMediaFactory):  # type: ignore[misc]
        def do_configure(self, media: Any) -> None:
            # The default copies the factory's settings (shared, protocols) to the media.
            GstRtspServer.RTSPMediaFactory.do_configure(self, media)
            configure_media(Gst, media, clip, width)

    factory = LoopFactory()
    factory.set_launch(f"( {ENCODE} )")
    factory.set_shared(True)  # every client sees the same stream: one encoder, not one each
    lower = GstRtsp.RTSPLowerTrans
    offered = {"any": lower.UDP | lower.TCP, "tcp": lower.TCP, "udp": lower.UDP}
    factory.set_protocols(offered[args.transport])
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    print(f"READY rtsp://127.0.0.1:{server.get_bound_port()}{args.path}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
