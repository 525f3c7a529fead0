"""docs/protocol.md stays true: every request type and error code is documented, and the
Node.js example client in it runs against a live server (when `node` is installed)."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import shutil
import tomllib
from pathlib import Path

import pytest
import trio
from proto_support import TOKEN, Served

import lfr
from lfr.config import SocketConfig
from lfr.protocol.messages import REQUEST_TYPES, ErrorCode

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "protocol.md"
SOCKET_KEY = re.compile(r"\bsocket\.([a-z_]+)\b")


def test_every_request_and_error_code_is_documented() -> None:
    text = DOC.read_text()
    for kind in REQUEST_TYPES:
        assert f"### `{kind}`" in text, kind
    for code in ErrorCode:
        assert f"| `{code.value}` |" in text, code


def _settings_table() -> dict[str, str]:
    section = DOC.read_text().split("## Settings (`[socket]`)", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(r"^\| `([a-z_]+)` \| ([^|]+) \|", section, re.M)
    return {key: cell.strip() for key, cell in rows}


def test_the_settings_table_lists_every_socket_key_with_its_default() -> None:
    """docs/protocol.md's `[socket]` table and `SocketConfig` name the same keys, in the same
    order, with the same defaults."""
    table = _settings_table()
    assert list(table) == list(SocketConfig.keys())
    for f in dataclasses.fields(SocketConfig):
        cell = table[f.name]
        shown = None if cell == "(unset)" else tomllib.loads(f"v = {cell.strip('`')}")["v"]
        assert shown == f.default, f"{f.name}: docs say {cell}, the schema {f.default!r}"


def _strings(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)
    ]


def test_every_socket_key_that_docs_or_messages_name_is_accepted() -> None:
    """What docs and error messages tell operators to set must be a key the strict schema
    accepts (`socket.allow_remote` once was not)."""
    keys = set(SocketConfig.keys())
    named: dict[str, set[str]] = {}
    for doc in [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]:
        text = doc.read_text()
        for key in SOCKET_KEY.findall(text):
            named.setdefault(key, set()).add(doc.name)
        for block in re.findall(r"```toml\n(.*?)```", text, re.S):
            table = block.split("[socket]", 1)[1].split("\n[", 1)[0] if "[socket]" in block else ""
            for key in re.findall(r"^#? ?([a-z_]+) *=", table, re.M):
                named.setdefault(key, set()).add(f"{doc.name} [socket] example")
    for source in Path(lfr.__file__).parent.rglob("*.py"):
        for text in _strings(source):
            for key in SOCKET_KEY.findall(text):
                named.setdefault(key, set()).add(str(source.relative_to(ROOT)))
    assert named, "no socket key found: the scan is broken"
    unknown = {key: where for key, where in named.items() if key not in keys}
    assert unknown == {}


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
