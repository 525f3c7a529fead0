"""The frame codec against hostile bytes: property-based fuzzing (>= 10,000 cases per run across
the random-input tests) fed straight into the decoder, plus exact checks of every limit."""

from __future__ import annotations

import struct

import msgpack  # type: ignore[import-untyped]
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lfr.protocol.codec import (
    FrameDecoder,
    FrameError,
    FrameTooLarge,
    Limits,
    decode_body,
    encode_frame,
)

FUZZ = settings(
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
LIMITS = Limits(
    max_frame_bytes=4096,
    max_str_len=256,
    max_bin_len=256,
    max_array_len=64,
    max_map_len=32,
    max_depth=8,
    max_objects=2000,
)
CODES = {"frame_too_large", "malformed_frame", "too_deep", "limit_exceeded"}


def frame(body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + body


def outcome(data: bytes, chunk: int = 0) -> list[dict] | str:
    """Decoded messages, or the error code: anything else escaping is a bug."""
    decoder = FrameDecoder(LIMITS)
    try:
        if chunk:
            out = []
            for i in range(0, len(data), chunk):
                out += decoder.feed(data[i : i + chunk])
            return out
        return decoder.feed(data)
    except FrameError as exc:
        assert exc.code in CODES
        return exc.code


def same(a: object, b: object) -> bool:
    """Equality that treats NaN as equal to itself (msgpack encodes both identically)."""
    return msgpack.packb(a) == msgpack.packb(b)


json_like = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(width=64)
    | st.text(max_size=20)
    | st.binary(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


@FUZZ
@given(st.binary(max_size=600))
def test_random_bytes_never_escape_as_anything_but_frame_errors(data: bytes) -> None:
    result = outcome(data)
    assert isinstance(result, (list, str))


@settings(max_examples=6000, deadline=None)
@given(st.binary(max_size=600))
def test_random_bodies_with_valid_length_prefix(body: bytes) -> None:
    result = outcome(frame(body))
    if isinstance(result, list):  # accepted: then msgpack agrees it is one str-keyed map
        (message,) = result
        assert same(msgpack.unpackb(body, strict_map_key=False), message)


CORPUS = [
    encode_frame(m)
    for m in (
        {"type": "hello", "id": 1, "version": 1, "client": "fuzz"},
        {"type": "auth", "id": "a", "token": "x" * 40},
        {"type": "alerts.list", "id": 2, "since_seq": 2**40, "limit": 1000},
        {"type": "subscribe", "id": 3, "topics": ["alerts", "stats"], "since_seq": 0},
        {
            "type": "alert.adjudicate",
            "id": 4,
            "alert_id": "9c1d",
            "verdict": "unsure",
            "by": "PC 1",
            "note": None,
        },
        {
            "type": "event",
            "topic": "alerts",
            "seq": 7,
            "data": {
                "score": 0.71,
                "ok": True,
                "crop": b"\xff\xd8" * 20,
                "n": -3,
                "xs": [1.5, None],
            },
        },
    )
]


@settings(max_examples=6000, deadline=None)
@given(
    st.sampled_from(CORPUS),
    st.lists(st.tuples(st.integers(0, 1 << 16), st.integers(0, 255)), min_size=1, max_size=4),
    st.integers(0, 1 << 16),
    st.integers(0, 7),
)
def test_mutated_valid_frames(
    base: bytes, edits: list[tuple[int, int]], cut: int, chunk: int
) -> None:
    raw = bytearray(base)
    for pos, value in edits:
        raw[pos % len(raw)] = value
    data = bytes(raw[: cut % (len(raw) + 1)])
    result = outcome(data, chunk=chunk)
    assert isinstance(result, (list, str))


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.text(max_size=8), json_like, max_size=6), st.integers(1, 9))
def test_valid_messages_round_trip_in_any_chunking(message: dict, chunk: int) -> None:
    data = encode_frame(message) * 2
    decoded = outcome(data, chunk=chunk)
    assert isinstance(decoded, list) and len(decoded) == 2
    expected = msgpack.unpackb(msgpack.packb(message, use_bin_type=True))
    assert same(decoded, [expected, expected])


def nested(depth: int) -> bytes:
    body = b"\xc0"
    for _ in range(depth - 1):
        body = b"\x91" + body
    return b"\x81\xa1x" + body  # {"x": [[...[nil]...]]}: `depth` containers in all


def test_depth_limit_is_exact() -> None:
    assert decode_body(nested(LIMITS.max_depth), LIMITS)
    with pytest.raises(FrameError) as err:
        decode_body(nested(LIMITS.max_depth + 1), LIMITS)
    assert err.value.code == "too_deep"


def test_deep_nesting_is_refused_before_msgpack_sees_it() -> None:
    with pytest.raises(FrameError) as err:
        decode_body(nested(100_000), Limits())
    assert err.value.code == "too_deep"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"\x81\xa1x\xdb\xff\xff\xff\xff", "limit_exceeded"),  # str32 of 4 GiB
        (b"\x81\xa1x\xc6\x00\x10\x00\x00", "limit_exceeded"),  # bin32 beyond max_bin
        (b"\x81\xa1x\xdd\x7f\xff\xff\xff", "limit_exceeded"),  # array32 of 2**31
        (b"\xdf\x00\x01\x00\x00", "limit_exceeded"),  # map32 of 65536
        (b"\x81\xa1x\xd4\x01\x00", "malformed_frame"),  # fixext: no ext types
        (b"\x81\xa1x\xc7\x01\x05\x00", "malformed_frame"),  # ext8
        (b"\x81\xa1x\xc1", "malformed_frame"),  # never-used byte
        (b"\x91\xc0", "malformed_frame"),  # an array, not a map
        (b"\x81\x01\xc0", "malformed_frame"),  # int key
        (b"\x81\xa1x\xa2\xff\xfe", "malformed_frame"),  # invalid UTF-8
        (b"\x81\xa1x\xc0\xc0", "malformed_frame"),  # trailing bytes
        (b"\x82\xa1x\xc0", "malformed_frame"),  # ends inside the map
        (b"", "malformed_frame"),
    ],
)
def test_hostile_bodies(body: bytes, code: str) -> None:
    with pytest.raises(FrameError) as err:
        decode_body(body, LIMITS)
    assert err.value.code == code


def test_oversized_length_is_refused_from_the_header_alone() -> None:
    decoder = FrameDecoder(LIMITS)
    with pytest.raises(FrameError) as err:
        decoder.feed(struct.pack(">I", LIMITS.max_frame_bytes + 1))
    assert err.value.code == "frame_too_large"


def test_a_frame_at_the_limit_is_accepted() -> None:
    msg = {"x": "a" * 200}
    body = msgpack.packb(msg)
    limits = Limits(max_frame_bytes=len(body), max_str_len=256)
    assert FrameDecoder(limits).feed(frame(body)) == [msg]
    with pytest.raises(FrameTooLarge):
        encode_frame(msg, max_frame_bytes=len(body) - 1)


def test_truncated_frame_is_visible_as_pending() -> None:
    decoder = FrameDecoder(LIMITS)
    assert decoder.feed(frame(msgpack.packb({"a": 1}))[:-1]) == []
    assert decoder.pending > 0


def test_object_budget_bounds_work() -> None:
    body = b"\x81\xa1x\xdc\x00\x40" + b"\x90" * 64  # 64 empty arrays: fine
    assert decode_body(body, LIMITS)
    tight = Limits(max_objects=50, max_array_len=64)
    with pytest.raises(FrameError) as err:
        decode_body(body, tight)
    assert err.value.code == "limit_exceeded"


def test_unencodable_message_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        encode_frame({"x": object()})
    with pytest.raises(ValueError):
        encode_frame({"x": np.zeros(3)})  # an array is not a number


def test_numpy_scalars_travel_as_plain_numbers() -> None:
    (decoded,) = FrameDecoder().feed(encode_frame({"n": np.int64(7), "s": np.float32(0.5)}))
    assert decoded == {"n": 7, "s": 0.5}
