"""Who adjudicated comes from the connection, not from the client's word: the Unix peer's OS
user (SO_PEERCRED) or the name of the TCP token; the client's `by` is kept as `on_behalf_of`.
Over a real Store, so the audit trail is what is checked."""

from __future__ import annotations

import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
import trio
from proto_support import TOKEN, alert_record

from lfr.client import Endpoint, ServerError, open_client
from lfr.config import SocketConfig
from lfr.daemon.store_api import StoreDaemonApi
from lfr.errors import ConfigError
from lfr.protocol.auth import TokenBook
from lfr.protocol.codec import FrameDecoder, encode_frame
from lfr.protocol.hub import EventHub
from lfr.protocol.server import SocketEndpoints, serve_socket
from lfr.store import Store

OPS_TOKEN = "ops-0123456789abcdef-ops"
ROOM_TOKEN = "room-0123456789abcdef-room"


def _private(path: Path, text: str) -> Path:
    path.write_text(text)
    path.chmod(0o600)
    return path


def _alert(store: Store) -> str:
    return store.alerts.record(alert_record()).alert_id


def _verdicts(store: Store) -> list[tuple[str, str | None]]:
    return [
        (r.actor, r.on_behalf_of) for r in store.audit.records() if r.action == "alert.adjudicate"
    ]


async def _serve(nursery: trio.Nursery, home: Path, store: Store) -> SocketEndpoints:
    _private(home / "token", TOKEN)
    _private(home / "tokens", f"# who may connect\nops:{OPS_TOKEN}\n\ncontrol-room: {ROOM_TOKEN}\n")
    config = SocketConfig(tcp="127.0.0.1:0", token_file="token", tokens_file="tokens")
    return await nursery.start(serve_socket, StoreDaemonApi(store), EventHub(), config, home)


async def test_the_actor_is_the_connection_and_by_is_on_behalf_of(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    store = Store.open(short_dir)
    alert_id = _alert(store)
    endpoints = await _serve(nursery, short_dir, store)
    assert endpoints.tcp is not None and endpoints.unix_path is not None
    me = pwd.getpwuid(os.getuid()).pw_name
    async with open_client(Endpoint(unix=endpoints.unix_path)) as local:
        assert local.server["actor"] == me
        judged = await local.alert_adjudicate(alert_id, "confirmed")  # no `by` needed
        assert judged["adjudicated_by"] == me
    async with open_client(Endpoint(tcp=endpoints.tcp, token=OPS_TOKEN)) as ops:
        assert ops.server["actor"] == "ops"
        judged = await ops.alert_adjudicate(alert_id, "false", by="PC 4471", note="not him")
        assert judged["adjudicated_by"] == "PC 4471"
    async with open_client(Endpoint(tcp=endpoints.tcp, token=TOKEN)) as default:
        # claiming to be another token's name changes nothing but `on_behalf_of`
        await default.alert_adjudicate(alert_id, "confirmed", by="control-room")
    async with open_client(Endpoint(tcp=endpoints.tcp, token=ROOM_TOKEN)) as room:
        with pytest.raises(ServerError) as empty:
            await room.alert_adjudicate(alert_id, "confirmed", by="  ")
        assert empty.value.code == "invalid_request"
    assert _verdicts(store) == [
        (me, None),
        ("ops", "PC 4471"),
        ("default", "control-room"),
    ]
    store.close()


def _python_for_anyone() -> str:
    """An interpreter another user can run (the test's own may live in root's home); the
    peer script needs only the standard library."""
    system = Path("/usr/bin/python3")
    return str(system) if system.exists() else os.path.realpath(sys.executable)


PEER = """
import socket, struct, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(10)
s.connect(sys.argv[1])
s.sendall(bytes.fromhex(sys.argv[2]))
buf, frames = b"", 0
while frames < 2:
    chunk = s.recv(65536)
    if not chunk:
        break
    buf += chunk
    pos, frames = 0, 0
    while len(buf) >= pos + 4 and len(buf) >= pos + 4 + struct.unpack(">I", buf[pos:pos+4])[0]:
        pos += 4 + struct.unpack(">I", buf[pos:pos+4])[0]
        frames += 1
print(buf.hex())
"""


@pytest.mark.skipif(os.getuid() != 0, reason="running a client as another user needs root")
async def test_a_unix_client_of_another_user_is_recorded_as_that_user(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    """SO_PEERCRED, not the daemon's own user: a client running as `nobody` (the socket is
    opened up for this test only) is recorded as `nobody`."""
    nobody = pwd.getpwnam("nobody")
    store = Store.open(short_dir)
    alert_id = _alert(store)
    endpoints = await _serve(nursery, short_dir, store)
    assert endpoints.unix_path is not None
    short_dir.chmod(0o711)
    endpoints.unix_path.chmod(0o666)
    frames = encode_frame({"type": "hello", "id": 1, "version": 1}) + encode_frame(
        {"type": "alert.adjudicate", "id": 2, "alert_id": alert_id, "verdict": "confirmed"}
    )
    done = await trio.run_process(
        [_python_for_anyone(), "-I", "-c", PEER, str(endpoints.unix_path), frames.hex()],
        capture_stdout=True,
        capture_stderr=True,
        user=nobody.pw_uid,
        group=nobody.pw_gid,
        extra_groups=[],
        stdin=subprocess.DEVNULL,
    )
    hello, verdict = FrameDecoder().feed(bytes.fromhex(done.stdout.decode().strip()))
    assert hello["result"]["actor"] == "nobody"
    assert verdict["ok"], verdict
    assert _verdicts(store) == [("nobody", None)]
    store.close()


@pytest.mark.parametrize(
    ("text", "error"),
    [
        (f"ops:{OPS_TOKEN}\nops:{ROOM_TOKEN}\n", "the name 'ops' is used twice"),
        (f"ops:{OPS_TOKEN}\nroom:{OPS_TOKEN}\n", "also another name's"),
        ("ops:short\n", "shorter than 16"),
        (f"{OPS_TOKEN}\n", "expected 'name:token'"),
        (f"a b:{OPS_TOKEN}\n", "expected 'name:token'"),
        (f"default:{OPS_TOKEN}\n", "the name 'default' is used twice"),  # token_file's name
        ("# nothing but a comment\n", "names no token"),
    ],
)
def test_tokens_file_mistakes_are_named(short_dir: Path, text: str, error: str) -> None:
    single = _private(short_dir / "token", TOKEN)
    tokens = _private(short_dir / "tokens", text)
    with pytest.raises(ConfigError, match=error) as info:
        TokenBook.load(single, tokens)
    assert "line" in str(info.value) or "names no token" in str(info.value)
    for secret in (OPS_TOKEN, ROOM_TOKEN, TOKEN):
        assert secret not in str(info.value)


def test_tokens_file_must_be_private(short_dir: Path) -> None:
    tokens = _private(short_dir / "tokens", f"ops:{OPS_TOKEN}\n")
    tokens.chmod(0o640)
    with pytest.raises(ConfigError, match="readable by others"):
        TokenBook.load(None, tokens)
