"""Hostile and broken clients over a live socket: each gets an error reply or a closed
connection, and the server and its other clients carry on."""

from __future__ import annotations

import os
import socket as stdsocket
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from proto_support import TOKEN, Raw, Served, start_server

from lfr.client import ConnectionLost, Endpoint, ServerError, open_client
from lfr.config import SocketConfig
from lfr.errors import ConfigError
from lfr.protocol.auth import read_token
from lfr.protocol.codec import FrameDecoder, Limits, encode_frame
from lfr.protocol.listeners import SocketInUseError, SocketPathError


async def bystander(served: Served) -> Raw:
    """A well-behaved client connected before the abuse starts."""
    raw = await Raw.open(served)
    assert (await raw.hello())["ok"]
    await raw.request("subscribe", topics=["alerts"])
    return raw


async def still_fine(served: Served, friend: Raw) -> None:
    """The server accepts new clients and the bystander still gets live alerts."""
    fresh = await Raw.open(served)
    assert (await fresh.hello())["ok"]
    assert (await fresh.request("ping"))["ok"]
    await fresh.aclose()
    alert = served.api.emit()
    event = await friend.recv()
    assert event is not None and event["seq"] == alert["seq"]


async def expect_refusal(raw: Raw, code: str) -> None:
    msg = await raw.recv()
    assert msg is not None, "expected an error before the close"
    assert msg.get("error", {}).get("code") == code, msg
    assert await raw.closed()


async def test_wrong_token_is_refused_and_closed(served: Served) -> None:
    friend = await bystander(served)
    raw = await Raw.open(served, tcp=True)
    await raw.send({"type": "auth", "id": 1, "token": "not-the-token-at-all"})
    await expect_refusal(raw, "auth_failed")
    with pytest.raises(ServerError) as err:
        async with open_client(Endpoint(tcp=served.tcp, token=TOKEN + "x")):
            pass
    assert err.value.code == "auth_failed"
    await still_fine(served, friend)


async def test_tcp_requires_auth_before_anything(served: Served) -> None:
    raw = await Raw.open(served, tcp=True)
    await raw.send({"type": "hello", "id": 1, "version": 1})
    await expect_refusal(raw, "auth_required")


async def test_no_hello(served: Served) -> None:
    friend = await bystander(served)
    raw = await Raw.open(served)
    await raw.send({"type": "status", "id": 1})
    await expect_refusal(raw, "hello_required")
    await still_fine(served, friend)


async def test_unknown_version_is_refused(served: Served) -> None:
    raw = await Raw.open(served)
    await raw.send({"type": "hello", "id": 1, "version": 99, "client": "future"})
    msg = await raw.recv()
    assert msg is not None and msg["error"]["code"] == "unsupported_version"
    assert "[1]" in msg["error"]["message"]
    assert await raw.closed()


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"type": "teleport", "id": 1}, "unknown_type"),
        ({"type": "alerts.list", "id": 2, "since_seq": "ten"}, "invalid_request"),
        ({"type": "alerts.list", "id": 3, "limit": 0}, "invalid_request"),
        ({"type": "alerts.list", "id": 4, "limit": True}, "invalid_request"),
        ({"type": "alerts.list", "id": 5, "colour": "red"}, "invalid_request"),
        ({"type": "subscribe", "id": 6, "topics": "alerts"}, "invalid_request"),
        ({"type": "ack", "id": 7, "topic": "alerts", "seq": -1}, "invalid_request"),
        ({"type": "status", "id": [1]}, "invalid_request"),
        ({"type": "status"}, "invalid_request"),
        ({"type": 5, "id": 8}, "invalid_request"),
        ({"id": 9}, "invalid_request"),
    ],
)
async def test_bad_requests_get_an_error_and_the_connection_lives(
    served: Served, message: dict, code: str
) -> None:
    raw = await Raw.open(served)
    await raw.hello()
    await raw.send(message)
    reply = await raw.recv()
    assert reply is not None and reply["ok"] is False and reply["error"]["code"] == code
    if isinstance(message.get("id"), int):
        assert reply["id"] == message["id"]
    assert (await raw.request("ping"))["ok"]


async def test_frame_over_the_limit(served: Served) -> None:
    friend = await bystander(served)
    raw = await Raw.open(served)
    await raw.hello()
    await raw.stream.send_all(struct.pack(">I", (1 << 20) + 1))  # the header alone
    await expect_refusal(raw, "frame_too_large")
    await still_fine(served, friend)


async def test_truncated_frame(served: Served) -> None:
    friend = await bystander(served)
    raw = await Raw.open(served)
    await raw.hello()
    await raw.stream.send_all(struct.pack(">I", 100) + b"\x81\xa4type")
    await raw.stream.send_eof()
    msg = await raw.recv()
    assert msg is None or msg["error"]["code"] == "malformed_frame"
    assert await raw.closed()
    await still_fine(served, friend)


async def test_deeply_nested_map(served: Served) -> None:
    friend = await bystander(served)
    raw = await Raw.open(served)
    await raw.hello()
    body = b"\x82\xa4type\xa4ping\xa2id" + b"\x91" * 5000 + b"\x01"
    await raw.stream.send_all(struct.pack(">I", len(body)) + body)
    await expect_refusal(raw, "too_deep")
    await still_fine(served, friend)


async def test_silent_client_times_out(nursery: trio.Nursery, short_dir: Path) -> None:
    served = await start_server(nursery, short_dir, handshake_timeout_s=0.3)
    raw = await Raw.open(served)
    await expect_refusal(raw, "timeout")


async def test_too_many_clients(nursery: trio.Nursery, short_dir: Path) -> None:
    served = await start_server(nursery, short_dir, max_clients=2, unix_reserved=0)
    first, second = await Raw.open(served), await Raw.open(served)
    await first.hello()
    await second.hello()
    third = await Raw.open(served)
    await expect_refusal(third, "too_many_clients")
    await first.aclose()
    with trio.fail_after(5):  # the server notices the close
        while len((await second.request("status"))["result"]["socket"]["clients"]) > 1:
            await trio.sleep(0.01)
    fourth = await Raw.open(served)
    assert (await fourth.hello())["ok"]


@pytest.fixture
def server_in_thread(short_dir: Path) -> Iterator[Path]:
    """One long-lived server in its own trio loop, so the sync fuzz test can hammer it."""
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def main() -> None:
        async with trio.open_nursery() as nursery:
            holder["served"] = await start_server(nursery, short_dir)
            holder["token"] = trio.lowlevel.current_trio_token()
            ready.set()

    thread = threading.Thread(target=trio.run, args=(main,), daemon=True)
    thread.start()
    assert ready.wait(10)
    served: Served = holder["served"]
    try:
        yield served.unix
    finally:
        holder["token"].run_sync_soon(served.cancel.cancel)
        thread.join(10)


def _exchange(path: Path, payload: bytes | None) -> list[dict]:
    """Connect, optionally say hello, send `payload`, half-close, read until closed."""
    sock = stdsocket.socket(stdsocket.AF_UNIX)
    sock.settimeout(5)
    sock.connect(os.fspath(path))
    decoder = FrameDecoder(Limits(max_depth=64))
    out: list[dict] = []
    try:
        if payload is None:
            sock.sendall(encode_frame({"type": "hello", "id": 0, "version": 1}))
            return _read_until(sock, decoder, out, stop_after_reply=True)
        try:
            sock.sendall(payload)
            sock.shutdown(stdsocket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server already refused and closed
        return _read_until(sock, decoder, out, stop_after_reply=False)
    finally:
        sock.close()


def _read_until(
    sock: stdsocket.socket, decoder: FrameDecoder, out: list[dict], *, stop_after_reply: bool
) -> list[dict]:
    while True:
        try:
            data = sock.recv(65536)
        except ConnectionResetError:
            return out
        if not data:
            return out
        out.extend(decoder.feed(data))
        if stop_after_reply and out:
            return out


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.binary(min_size=1, max_size=300), after_hello=st.booleans())
def test_random_bytes_over_a_live_socket(
    server_in_thread: Path, data: bytes, after_hello: bool
) -> None:
    hello = encode_frame({"type": "hello", "id": 0, "version": 1}) if after_hello else b""
    for msg in _exchange(server_in_thread, hello + data):
        assert msg["type"] in ("reply", "error")  # only well-formed replies, then the close
    assert _exchange(server_in_thread, None)[0]["ok"] is True  # and the server carries on


async def test_stale_socket_is_replaced_but_other_files_are_not(
    nursery: trio.Nursery, short_dir: Path
) -> None:
    stale = short_dir / "lfr.sock"
    dead = stdsocket.socket(stdsocket.AF_UNIX)
    dead.bind(os.fspath(stale))
    dead.close()  # a socket file nobody listens on: what a crashed daemon leaves
    served = await start_server(nursery, short_dir)
    assert (await (await Raw.open(served)).hello())["ok"]
    with pytest.raises(SocketInUseError):  # a live daemon's socket is left alone
        await start_server(nursery, short_dir)
    served.cancel.cancel()
    with trio.fail_after(5):
        while stale.exists():  # removed at shutdown
            await trio.sleep(0.01)
    stale.write_text("precious")
    with pytest.raises(SocketPathError):
        await start_server(nursery, short_dir)
    assert stale.read_text() == "precious"


def test_settings_refuse_unsafe_tcp(short_dir: Path, token_file: Path) -> None:
    with pytest.raises(ConfigError, match="token_file"):
        SocketConfig(tcp="127.0.0.1:0").validated()
    loose = short_dir / "loose"
    loose.write_text(TOKEN)
    loose.chmod(0o644)
    with pytest.raises(ConfigError, match="readable by others"):
        read_token(loose)
    short = short_dir / "short"
    short.write_text("abc")
    short.chmod(0o600)
    with pytest.raises(ConfigError, match="shorter"):
        read_token(short)
    assert read_token(token_file) == TOKEN.encode()


async def test_remote_tcp_needs_explicit_opt_in(
    nursery: trio.Nursery, short_dir: Path, token_file: Path
) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        await start_server(nursery, short_dir, token_file=token_file, tcp="0.0.0.0:0")


async def test_connect_to_nothing_is_connection_lost(short_dir: Path) -> None:
    with pytest.raises(ConnectionLost):
        async with open_client(Endpoint(unix=short_dir / "none.sock")):
            pass
