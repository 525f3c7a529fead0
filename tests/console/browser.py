"""Playwright with Debian's chromium (the wheel's own browser download cannot be used here),
and `lfr-run` started as an operator starts it, with the console on a free loopback port."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from support.processes import read_until

CHROMIUM = "/usr/bin/chromium"


def chromium_missing() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"{CHROMIUM} is not installed (Debian package chromium)"
    return None


@contextmanager
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    from support.skips import require_package

    require_package(chromium_missing())
    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, headless=True)
        try:
            yield launched
        finally:
            launched.close()


def add_user(home: Path, name: str, role: str, password: str) -> None:
    """Through the CLI, password on stdin, as an operator adds one."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "lfr.cli.admin",
            "users",
            "add",
            name,
            "--role",
            role,
            "--home",
            str(home),
        ],
        input=password + "\n",
        capture_output=True,
        text=True,
        env={**os.environ, "LFR_ACTOR": "test-operator"},
        check=False,
    )
    assert done.returncode == 0, done.stderr


@contextmanager
def lfr_run(config: Path, timeout: float = 90) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Run `lfr-run --config`; yields the console's URL (and the process) once ready."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "lfr.cli.run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = read_until(proc, lambda line: "ready" in line, timeout)
        announced = [line for line in lines if "lfr-run: console " in line]
        assert announced, "no console URL announced:\n" + "".join(lines)
        url = announced[-1].split("lfr-run: console ", 1)[1].strip().rstrip("/")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


def login(page: Any, url: str, name: str, password: str) -> None:
    page.goto(url + "/login")
    page.fill("#name", name)
    page.fill("#password", password)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")


def copy_home(home: Path, into: Path) -> Path:
    copy = into / "home"
    shutil.copytree(home, copy)
    return copy
