"""docs/protocol.md stays true: every request type and error code is documented, and the
Node.js example client in it runs against a live server (when `node` is installed)."""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import pytest
import trio
from proto_support import TOKEN, Served

from lfr.protocol.messages import REQUEST_TYPES, ErrorCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_every_request_and_error_code_is_documented() -> None:
    text = DOC.read_text()
    for kind in REQUEST_TYPES:
        assert f"### `{kind}`" in text, kind
    for code in ErrorCode:
        assert f"| `{code.value}` |" in text, code


def node_example(directory: Path) -> Path:
    text = DOC.read_text()
    section = text.split("## Example client (Node.js", 1)[1]
    match = re.search(r"```js\n(.*?)```", section, re.S)
    assert match, "the Node.js example block is missing"
    path = directory / "lfr_tail.mjs"
    path.write_text(match.group(1))
    return path


async def run_node(script: Path, *args: str, env: dict[str, str] | None = None) -> list[dict]:
    from support.skips import require_package

    node = shutil.which("node")
    require_package(None if node else "node is not installed (Debian package nodejs)")
    assert node is not None
    with trio.fail_after(30):
        done = await trio.run_process(
            [node, str(script), *args],
            capture_stdout=True,
            capture_stderr=True,
            env={**os.environ, **(env or {})},
            check=False,
        )
    assert done.returncode == 0, done.stderr.decode()
    return [json.loads(line) for line in done.stdout.decode().splitlines()]


async def test_node_example_over_unix_socket(served: Served, short_dir: Path) -> None:
    alerts = [served.api.emit(identity=f"p{i}", score=0.5 + i / 100) for i in range(5)]
    printed = await run_node(node_example(short_dir), str(served.unix), "1", "4")
    assert [a["seq"] for a in printed] == [2, 3, 4, 5]
    assert [a["alert_id"] for a in printed] == [a["alert_id"] for a in alerts[1:]]
    assert printed[0]["score"] == pytest.approx(0.51)


async def test_node_example_over_tcp_with_token(served: Served, short_dir: Path) -> None:
    served.api.emit()
    served.api.emit()
    host, port = served.tcp
    printed = await run_node(
        node_example(short_dir), f"{host}:{port}", "0", "2", env={"LFR_TOKEN": TOKEN}
    )
    assert [a["seq"] for a in printed] == [1, 2]
