"""`lfr status` and `lfr tail` against a live server (the blocking CLI runs in a worker
thread while the server runs in the test's trio loop)."""

from __future__ import annotations

import json
import os
import pwd
from pathlib import Path

import pytest
import trio
from proto_support import Served

from lfr.cli.admin import main
from lfr.cli.cmd_socket import read_state, write_state


async def run_cli(*argv: str) -> int:
    return await trio.to_thread.run_sync(main, list(argv))


async def test_status_table(served: Served, capsys: pytest.CaptureFixture[str]) -> None:
    served.api.emit()
    assert await run_cli("status", "--socket", str(served.unix)) == 0
    out = capsys.readouterr().out
    assert f"socket {served.unix}" in out
    assert "alerts today: 1" in out
    cam_row = next(line for line in out.splitlines() if line.startswith("cam1"))
    assert cam_row.split()[:4] == ["cam1", "LIVE", "wl", "25.0"]
    assert "latency glass_to_alert: p50 80 ms  p99 150 ms" in out
    assert "socket clients: 1" in out
    me = pwd.getpwuid(os.getuid()).pw_name
    assert any(
        line.startswith("  lfr-status (unix:") and f", {me})" in line for line in out.splitlines()
    )


async def test_status_json_over_tcp(
    served: Served, token_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    host, port = served.tcp
    assert (
        await run_cli(
            "status", "--json", "--tcp", f"{host}:{port}", "--token-file", str(token_file)
        )
        == 0
    )
    status = json.loads(capsys.readouterr().out)
    assert status["cameras"][0]["id"] == "cam1"
    assert status["socket"]["clients"][0]["client"] == "lfr-status"
    assert status["socket"]["clients"][0]["actor"] == "default"  # token_file's token


async def test_status_without_daemon_is_one_clear_error(
    short_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert await run_cli("status", "--socket", str(short_dir / "absent.sock")) == 1
    err = capsys.readouterr().err
    assert err.startswith("lfr: error: cannot connect to") and err.count("\n") == 1


async def test_tail_prints_json_lines_and_records_state(
    served: Served, short_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    alerts = [served.api.emit() for _ in range(3)]
    state = short_dir / "tail.state"
    assert (
        await run_cli(
            "tail",
            "--socket",
            str(served.unix),
            "--since",
            "0",
            "--count",
            "3",
            "--state-file",
            str(state),
        )
        == 0
    )
    printed = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert [p["alert_id"] for p in printed] == [a["alert_id"] for a in alerts]
    assert read_state(state) == 3
    served.api.emit()
    assert (
        await run_cli(
            "tail",
            "--socket",
            str(served.unix),
            "--resume",
            "--count",
            "1",
            "--state-file",
            str(state),
        )
        == 0
    )
    assert [json.loads(x)["seq"] for x in capsys.readouterr().out.splitlines()] == [4]


def test_state_file_is_validated(short_dir: Path) -> None:
    state = short_dir / "s"
    write_state(state, 41)
    assert read_state(state) == 41
    state.write_text('{"last_seq": "x"}')
    with pytest.raises(Exception, match="no valid last_seq"):
        read_state(state)
    assert read_state(short_dir / "missing") is None


def test_tcp_without_token_file_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tail", "--tcp", "127.0.0.1:9"]) == 2
    assert "--tcp needs --token-file" in capsys.readouterr().err


async def test_status_finds_the_socket_through_the_daemon_config(
    served: Served, short_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = short_dir / "lfr.toml"
    config.write_text(
        f'[daemon]\ndata_dir = "{served.unix.parent}"\n[socket]\nunix = "{served.unix.name}"\n'
    )
    assert await run_cli("status", "--config", str(config)) == 0
    assert f"socket {served.unix}" in capsys.readouterr().out
