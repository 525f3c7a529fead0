"""`lfr demo`: the whole system end to end with nothing to configure (the README's main job)."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="run a self-contained live demo",
        description="Enrol a sample person into a temporary watchlist, stream "
        "a clip through a real RTSP server on loopback, print the alerts live "
        "with their latency, serve the operator console (its URL and a one-time "
        "officer login are printed), and end with a summary. Uses $LFR_SAMPLE_DATA "
        "(default ../shared/data) when present, else builds a scene from a "
        "public-domain portrait.",
    )
    p.add_argument(
        "--no-rtsp",
        action="store_true",
        help="play the clip as a file paced in real time instead of over RTSP",
    )
    p.add_argument("--json", action="store_true", help="JSON alerts and summary")
    p.add_argument(
        "--keep",
        action="store_true",
        help="after the clip, keep the daemon and its operator console up until Ctrl-C",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from lfr.demo.run import run_demo

    return run_demo(rtsp=False if args.no_rtsp else None, as_json=args.json, keep=args.keep)
