"""`lfr-run --config lfr.toml`: the daemon.

Exit codes: 0 after a clean stop, 2 for a configuration the daemon cannot start with (the
message names the key), 1 for any other error it can explain.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import trio

from lfr.cli.exits import run_reporting


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="lfr-run", description="lfr: the live recognition daemon.")
    p.add_argument(
        "--config",
        "-c",
        type=Path,
        default=None,
        help="TOML config (default: settings from the environment only)",
    )
    p.add_argument(
        "--data-dir", type=Path, default=None, help="override [daemon] data_dir (default $LFR_HOME)"
    )
    p.add_argument(
        "--check", action="store_true", help="validate the config, print its hash and exit"
    )
    p.add_argument(
        "--trace",
        type=Path,
        default=None,
        metavar="FILE",
        help="write a per-frame trace of the run's first seconds (Chrome trace-event JSON)",
    )
    p.add_argument(
        "--trace-seconds",
        type=float,
        default=60.0,
        metavar="N",
        help="stop tracing after N seconds (default 60; the file is written then)",
    )
    return p


def main(argv: Sequence[str] | None = None) -> int:
    from lfr.config import load_config
    from lfr.daemon import Daemon
    from lfr.daemon.logs import setup_logging
    from lfr.daemon.tracing import TraceOptions
    from lfr.errors import InputError

    args = build_parser().parse_args(argv)

    def run() -> int:
        overrides = {"daemon.data_dir": str(args.data_dir)} if args.data_dir else None
        config = load_config(args.config, overrides)
        if args.check:
            print(f"config ok: {config.digest()}")
            return 0
        if not args.trace_seconds > 0:
            raise InputError(f"--trace-seconds must be > 0, got {args.trace_seconds}")
        trace = TraceOptions(args.trace, args.trace_seconds) if args.trace else None
        setup_logging(as_json=config.logging.json, level=config.logging.level)
        trio.run(Daemon(config, config_path=args.config, trace=trace).run)
        return 0

    return run_reporting("lfr-run", run)


if __name__ == "__main__":
    sys.exit(main())
