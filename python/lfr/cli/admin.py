"""`lfr`: the admin CLI. Each command group lives in its own module with a
`register(subparsers)` function that adds its parser(s) and sets `func` on them; `func(args)`
returns the process exit code. An `LfrError` becomes one line on stderr and its exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from lfr.cli.exits import run_reporting

# Command-group modules, in help order. Each defines `register(subparsers) -> None`.
COMMAND_MODULES: tuple[str, ...] = (
    "lfr.cli.cmd_models",
    "lfr.cli.cmd_probe",
    "lfr.cli.cmd_eval",
    "lfr.cli.cmd_socket",
    "lfr.cli.cmd_watchlist",
    "lfr.cli.cmd_alerts",
    "lfr.cli.cmd_report",
    "lfr.cli.cmd_audit",
    "lfr.cli.cmd_users",
    "lfr.cli.cmd_scan",
    "lfr.cli.cmd_demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lfr", description="lfr: live facial recognition admin.")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    return run_reporting("lfr", lambda: args.func(args))


if __name__ == "__main__":
    sys.exit(main())
