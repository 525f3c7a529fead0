"""Strangers on TCP cannot starve the socket: unauthenticated connections have their own small
cap (the oldest is evicted for a newcomer), a small frame limit and a short deadline, a wrong
token is answered slowly and logged with the peer, and Unix clients keep slots of their own."""

from __future__ import annotations

import logging
import struct
import time
from pathlib import Path

import pytest
import trio
from proto_support import TOKEN, Raw, Served, start_server

from lfr.client import Endpoint, open_client


async def _stranger(served: Served, kind: int) -> trio.SocketStream:
    stream = await trio.open_tcp_stream(*served.tcp)
    if kind == 1:  # garbage: an HTTP request, whose first bytes read as a 1.2 GB frame
        await stream.send_all(b"GET / HTTP/1.1\r\nHost: lfr\r\n\r\n")
    elif kind == 2:  # a token guess
        raw = Raw(stream)
        await raw.send({"type": "auth", "id": 1, "token": "guess-guess-guess-guess"})
    return stream  # kind 0: connected, then silent


async def test_300_strangers_do_not_keep_out_a_unix_and_a_token_client(
    served: Served,
) -> None:
    """Mostly idle (today's handshake deadline would let them hold every slot for 10 s), some
    garbage and some token guesses."""
    strangers = [await _stranger(served, 0 if i % 20 > 2 else i % 20) for i in range(300)]
    started = time.monotonic()
    with trio.fail_after(1.0):
        raw = await Raw.open(served)
        assert (await raw.hello())["ok"]
        assert (await raw.request("ping"))["ok"]
        async with open_client(Endpoint(tcp=served.tcp, token=TOKEN)) as client:
            assert (await client.ping())["time"] > 0
    assert time.monotonic() - started < 1.0
    status = (await raw.request("status"))["result"]["socket"]
    assert status["unauthenticated"] <= served.config.max_unauthenticated
    assert status["evicted"] > 0 and status["failed_auth"] > 0
    for stream in strangers:
        await stream.aclose()


async def test_unix_clients_keep_their_reserved_slots(
    nursery: trio.Nursery, short_dir: Path, token_file: Path
) -> None:
    """TCP clients, even authenticated ones, cannot take the last `unix_reserved` slots."""
    served = await start_server(
        nursery, short_dir, token_file=token_file, max_clients=4, unix_reserved=2
    )
    tcp = []
    for _ in range(2):
        raw = await Raw.open(served, tcp=True)
        assert (await raw.request("auth", token=TOKEN))["ok"]
        assert (await raw.hello())["ok"]
        tcp.append(raw)
    third = await Raw.open(served, tcp=True)
    refused = await third.recv()
    assert refused is not None and refused["error"]["code"] == "too_many_clients"
    for _ in range(2):
        assert (await (await Raw.open(served)).hello())["ok"]


async def test_frames_before_auth_are_small(served: Served) -> None:
    early = await Raw.open(served, tcp=True)
    await early.stream.send_all(struct.pack(">I", 5000))  # the header alone
    msg = await early.recv()
    assert msg is not None and msg["error"]["code"] == "frame_too_large"
    assert "4096" in msg["error"]["message"]
    later = await Raw.open(served, tcp=True)  # the same size after auth is fine
    assert (await later.request("auth", token=TOKEN))["ok"]
    assert (await later.hello())["ok"]
    reply = await later.request("alerts.list", since_seq=0, limit=1, _pad="x" * 5000)
    assert reply["error"]["code"] == "invalid_request"  # read and parsed, not refused


async def test_auth_has_a_deadline(
    nursery: trio.Nursery, short_dir: Path, token_file: Path
) -> None:
    served = await start_server(nursery, short_dir, token_file=token_file, auth_timeout_s=0.3)
    raw = await Raw.open(served, tcp=True)
    msg = await raw.recv(timeout=2.0)
    assert msg is not None and msg["error"]["code"] == "timeout"
    assert "auth" in msg["error"]["message"]
    assert await raw.closed()


async def test_a_wrong_token_is_slowed_down_and_logged_with_the_peer(
    nursery: trio.Nursery,
    short_dir: Path,
    token_file: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = await start_server(nursery, short_dir, token_file=token_file, auth_failure_delay_s=0.5)
    raw = await Raw.open(served, tcp=True)
    port = raw.stream.socket.getsockname()[1]
    with caplog.at_level(logging.WARNING, logger="lfr.protocol.auth"):
        sent = time.monotonic()
        await raw.send({"type": "auth", "id": 1, "token": "wrong-wrong-wrong-wrong"})
        msg = await raw.recv()
        waited = time.monotonic() - sent
    assert msg is not None and msg["error"]["code"] == "auth_failed"
    assert waited >= 0.5
    assert any(f"tcp:127.0.0.1:{port}" in r.getMessage() for r in caplog.records)
    assert all("wrong-wrong" not in r.getMessage() for r in caplog.records)
