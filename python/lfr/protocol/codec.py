"""Framing and msgpack decoding for the integrator socket, safe against hostile peers.

A frame is a 4-byte big-endian length then exactly one msgpack map. Everything a peer sends is
bounded BEFORE Python allocates for it: the length prefix is checked against the frame limit
before the body is read, and the body is walked header by header (`scan_msgpack`) to check
nesting depth, container and string sizes, the total number of objects and the absence of
extension types before msgpack builds a single object. msgpack's own length limits are set as a
second line of defence. The decoder is sans-IO (`FrameDecoder.feed`) so the trio server, the
blocking client and the fuzz tests share one code path.
"""

from __future__ import annotations

import struct
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import msgpack  # type: ignore[import-untyped]

from lfr.errors import InputError

HEADER = struct.Struct(">I")
DEFAULT_MAX_FRAME = 1 << 20


@dataclass(frozen=True, slots=True)
class Limits:
    """What one frame may contain. Peers may only lower these, never raise them."""

    max_frame_bytes: int = DEFAULT_MAX_FRAME
    max_str_len: int = 64 * 1024
    max_bin_len: int = 1 << 20
    max_array_len: int = 100_000
    max_map_len: int = 4096
    max_depth: int = 16
    max_objects: int = 250_000

    def __post_init__(self) -> None:
        if not 64 <= self.max_frame_bytes <= 64 << 20:
            raise ValueError(
                f"max_frame_bytes must be within 64..{64 << 20}, got {self.max_frame_bytes}"
            )
        if self.max_depth < 2:
            raise ValueError("max_depth must be at least 2")

    def as_wire(self) -> dict[str, int]:
        return {
            "max_frame_bytes": self.max_frame_bytes,
            "max_str_len": self.max_str_len,
            "max_bin_len": self.max_bin_len,
            "max_array_len": self.max_array_len,
            "max_map_len": self.max_map_len,
            "max_depth": self.max_depth,
        }


class FrameError(InputError):
    """A frame cannot be decoded; `code` is the stable wire error code. After a FrameError the
    byte stream can no longer be trusted, so the connection is closed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def _reject_ext(code: int, data: bytes) -> Any:
    raise FrameError("malformed_frame", f"msgpack extension type {code} is not allowed")


# Fixed-size scalars: first byte -> bytes after it.
_FIXED = {
    0xC0: 0,
    0xC2: 0,
    0xC3: 0,
    0xCA: 4,
    0xCB: 8,
    0xCC: 1,
    0xCD: 2,
    0xCE: 4,
    0xCF: 8,
    0xD0: 1,
    0xD1: 2,
    0xD2: 4,
    0xD3: 8,
}
# Variable-size payloads: first byte -> (length-field bytes, "str" | "bin").
_SIZED = {
    0xD9: (1, "str"),
    0xDA: (2, "str"),
    0xDB: (4, "str"),
    0xC4: (1, "bin"),
    0xC5: (2, "bin"),
    0xC6: (4, "bin"),
}
# Containers with a length field: first byte -> (length-field bytes, "array" | "map").
_CONTAINERS = {0xDC: (2, "array"), 0xDD: (4, "array"), 0xDE: (2, "map"), 0xDF: (4, "map")}


def scan_msgpack(body: bytes, limits: Limits) -> None:
    """Walk the msgpack headers of `body` without building objects; raise FrameError unless it
    holds exactly one map within `limits`. Cost is linear in the number of objects, which
    `max_objects` caps."""
    end = len(body)
    if end == 0 or not (0x80 <= body[0] <= 0x8F or body[0] in (0xDE, 0xDF)):
        raise FrameError("malformed_frame", "a frame must hold one msgpack map")
    pos = 0
    stack: list[int] = []  # objects still expected by each open container
    remaining = 1
    objects = 0
    while True:
        if remaining == 0:
            if not stack:
                break
            remaining = stack.pop()
            continue
        if pos >= end:
            raise FrameError("malformed_frame", "msgpack data ends inside an object")
        remaining -= 1
        objects += 1
        if objects > limits.max_objects:
            raise FrameError("limit_exceeded", f"more than {limits.max_objects} objects")
        b = body[pos]
        pos += 1
        if b <= 0x7F or b >= 0xE0:
            continue
        count = -1
        kind = ""
        if b <= 0x8F:
            count, kind = b & 0x0F, "map"
        elif b <= 0x9F:
            count, kind = b & 0x0F, "array"
        elif b <= 0xBF:
            size, kind = b & 0x1F, "str"
        elif b in _FIXED:
            pos += _FIXED[b]
            continue
        elif b in _SIZED:
            width, kind = _SIZED[b]
            if pos + width > end:
                raise FrameError("malformed_frame", "msgpack data ends inside a length")
            size = int.from_bytes(body[pos : pos + width], "big")
            pos += width
        elif b in _CONTAINERS:
            width, kind = _CONTAINERS[b]
            if pos + width > end:
                raise FrameError("malformed_frame", "msgpack data ends inside a length")
            count = int.from_bytes(body[pos : pos + width], "big")
            pos += width
        elif b == 0xC1:
            raise FrameError("malformed_frame", "byte 0xc1 is never used in msgpack")
        else:  # 0xC7-0xC9, 0xD4-0xD8: extension types
            raise FrameError("malformed_frame", "msgpack extension types are not allowed")
        if count < 0:  # a str or bin payload
            cap = limits.max_str_len if kind == "str" else limits.max_bin_len
            if size > cap:
                raise FrameError("limit_exceeded", f"{kind} of {size} bytes exceeds {cap}")
            pos += size
            if pos > end:
                raise FrameError("malformed_frame", f"msgpack data ends inside a {kind}")
            continue
        cap = limits.max_map_len if kind == "map" else limits.max_array_len
        if count > cap:
            raise FrameError("limit_exceeded", f"{kind} of {count} entries exceeds {cap}")
        if len(stack) + 1 > limits.max_depth:
            raise FrameError("too_deep", f"nesting deeper than {limits.max_depth}")
        if kind == "map":
            count *= 2
        if count:
            stack.append(remaining)
            remaining = count
    if pos != end:
        raise FrameError("malformed_frame", f"{end - pos} bytes after the msgpack map")


def decode_body(body: bytes, limits: Limits) -> dict[str, Any]:
    """Scan, then decode one frame body into a dict with str keys."""
    scan_msgpack(body, limits)
    try:
        obj = msgpack.unpackb(
            body,
            raw=False,
            strict_map_key=True,
            use_list=True,
            ext_hook=_reject_ext,
            max_str_len=limits.max_str_len,
            max_bin_len=limits.max_bin_len,
            max_array_len=limits.max_array_len,
            max_map_len=limits.max_map_len,
            max_ext_len=0,
        )
    except FrameError:
        raise
    except (ValueError, TypeError, msgpack.UnpackException) as exc:
        # invalid UTF-8, a non-str key, msgpack's own limits
        raise FrameError("malformed_frame", f"undecodable msgpack: {exc}") from None
    if not isinstance(obj, dict) or not all(isinstance(k, str) for k in obj):
        raise FrameError("malformed_frame", "a frame must hold a map with string keys")
    return obj


def _plain(value: Any) -> Any:
    """Numbers from numpy (a counter, a score) travel as plain numbers; anything else that
    msgpack cannot encode is a bug in the caller."""
    item = getattr(value, "item", None)
    if callable(item) and getattr(value, "shape", None) == ():
        return item()
    raise TypeError(f"cannot encode {type(value).__name__}")


class FrameTooLarge(ValueError):
    """An outgoing message does not fit in one frame (e.g. too many alerts in one reply)."""


def encode_frame(message: Mapping[str, Any], max_frame_bytes: int = DEFAULT_MAX_FRAME) -> bytes:
    """Length prefix + msgpack map. Raises ValueError for unencodable or oversized messages
    (a bug on our side, never the peer's)."""
    try:
        body: bytes = msgpack.packb(message, use_bin_type=True, datetime=False, default=_plain)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ValueError(f"message cannot be encoded as msgpack: {exc}") from exc
    if len(body) > max_frame_bytes:
        raise FrameTooLarge(
            f"message of {len(body)} bytes exceeds the frame limit {max_frame_bytes}"
        )
    return HEADER.pack(len(body)) + body


class FrameDecoder:
    """Sans-IO frame reassembly: `feed()` bytes as they arrive, get whole decoded messages.

    The length prefix is checked against the limit as soon as its 4 bytes arrive, so an
    oversized frame is refused before its body is buffered."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._buf = bytearray()
        self._need: int | None = None  # body length once the header is known

    def feed(self, data: bytes | bytearray) -> list[dict[str, Any]]:
        self._buf += data
        out: list[dict[str, Any]] = []
        while True:
            if self._need is None:
                if len(self._buf) < HEADER.size:
                    return out
                (length,) = HEADER.unpack_from(self._buf)
                if length > self.limits.max_frame_bytes:
                    raise FrameError(
                        "frame_too_large",
                        f"frame of {length} bytes exceeds the "
                        f"limit of {self.limits.max_frame_bytes}",
                    )
                del self._buf[: HEADER.size]
                self._need = length
            if len(self._buf) < self._need:
                return out
            body = bytes(self._buf[: self._need])
            del self._buf[: self._need]
            self._need = None
            out.append(decode_body(body, self.limits))

    @property
    def pending(self) -> int:
        """Bytes of an incomplete frame; non-zero at EOF means the peer truncated a frame."""
        return len(self._buf) + (HEADER.size if self._need is not None else 0)

    def wanted(self) -> int:
        """How many bytes to ask the transport for next (never more than one frame's worth)."""
        if self._need is None:
            return max(HEADER.size - len(self._buf), 1) + 64 * 1024
        return max(self._need - len(self._buf), 1)
