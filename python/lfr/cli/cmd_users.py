"""`lfr users ...`: the operator console's accounts (added, listed, disabled, re-passworded).

A password is read from standard input (one line; a terminal is asked twice without echo) or
from `--password-file`, never from the command line, where `ps` and the shell history would
keep it. Every change is audited with the account running the command as the actor.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from lfr.cli.store_args import actor, add_common, fmt_time, open_store
from lfr.errors import InputError
from lfr.store.users import ROLES


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("users", help="operator console accounts")
    sub = parser.add_subparsers(dest="users_command", metavar="ACTION", required=True)

    p = sub.add_parser("add", help="add an account (password from stdin or --password-file)")
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=ROLES)
    _password_arg(p)
    _leaf(p, _add)

    p = sub.add_parser("list", help="list accounts")
    p.add_argument("--json", action="store_true")
    _leaf(p, _list)

    p = sub.add_parser("disable", help="stop an account from logging in (ends its sessions)")
    p.add_argument("name")
    p.add_argument("--enable", action="store_true", help="enable a disabled account again")
    _leaf(p, _disable)

    p = sub.add_parser("passwd", help="set an account's password")
    p.add_argument("name")
    _password_arg(p)
    _leaf(p, _passwd)


def _password_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--password-file",
        type=Path,
        help="read the password from this file's first line (default: standard input)",
    )


def _leaf(parser: argparse.ArgumentParser, func: Any) -> None:
    add_common(parser)
    parser.set_defaults(func=func)


def read_password(path: Path | None) -> str:
    """The new password: the file's first line, else a line of stdin (asked twice on a tty)."""
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror}") from None
        return text.splitlines()[0] if text else ""
    if sys.stdin.isatty():
        first = getpass.getpass("password: ")
        if getpass.getpass("again: ") != first:
            raise InputError("the two passwords differ; nothing changed")
        return first
    line = sys.stdin.readline()
    return line[:-1] if line.endswith("\n") else line


def _add(args: argparse.Namespace) -> int:
    password = read_password(args.password_file)
    with open_store(args) as store:
        user = store.users.add(args.name, args.role, password, actor=actor(args))
    print(f"user {user.name}: added as {user.role}")
    return 0


def _list(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        users = store.users.all()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "name": u.name,
                        "role": u.role,
                        "disabled": u.disabled,
                        "created_at": u.created_at,
                        "password_changed_at": u.password_changed_at,
                    }
                    for u in users
                ],
                indent=2,
            )
        )
        return 0
    for u in users:
        state = "disabled" if u.disabled else "enabled"
        print(f"{u.name}\t{u.role}\t{state}\tpassword set {fmt_time(u.password_changed_at)}")
    return 0


def _disable(args: argparse.Namespace) -> int:
    with open_store(args) as store:
        user = store.users.set_disabled(args.name, not args.enable, actor=actor(args))
    print(f"user {user.name}: {'disabled' if user.disabled else 'enabled'}")
    return 0


def _passwd(args: argparse.Namespace) -> int:
    password = read_password(args.password_file)
    with open_store(args) as store:
        user = store.users.set_password(args.name, password, actor=actor(args))
    print(f"user {user.name}: password changed")
    return 0
