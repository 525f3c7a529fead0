"""The wire schema: one frozen dataclass per request kind, tagged by `type`, plus the server's
replies, events and notices. Validation is strict (unknown fields, wrong types, out-of-range
numbers are refused with a stable error code naming the field) because integrators in other
languages debug against these messages, and a silent coercion would hide their bugs.
"""

from __future__ import annotations

import dataclasses
import enum
import typing
from dataclasses import dataclass, field
from typing import Any, ClassVar

from lfr.errors import InputError

PROTOCOL_VERSION = 1
SUPPORTED_VERSIONS = frozenset({1})
TOPICS = ("alerts", "verdicts", "camera_state", "stats")
CAPABILITIES = (
    "auth",
    "subscribe",
    "since_seq",
    "ack",
    "lagged",
    "alert.adjudicate",
    "watchlist.reload",
)
MAX_ID_LEN = 128
MAX_TEXT = 4096
MAX_SEQ = (1 << 63) - 1
RequestId = int | str


class ErrorCode(enum.StrEnum):
    """Stable error codes; integrators branch on these, never on the message text."""

    AUTH_REQUIRED = "auth_required"
    AUTH_FAILED = "auth_failed"
    HELLO_REQUIRED = "hello_required"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNKNOWN_TYPE = "unknown_type"
    INVALID_REQUEST = "invalid_request"
    FRAME_TOO_LARGE = "frame_too_large"
    MALFORMED_FRAME = "malformed_frame"
    TOO_DEEP = "too_deep"
    LIMIT_EXCEEDED = "limit_exceeded"
    NOT_FOUND = "not_found"
    INVALID_ARGUMENT = "invalid_argument"
    INVALID_STATE = "invalid_state"
    CONFLICT = "conflict"
    UNAVAILABLE = "unavailable"
    FAILED = "failed"
    INTERNAL = "internal"
    TOO_MANY_CLIENTS = "too_many_clients"
    TOO_SLOW = "too_slow"
    TIMEOUT = "timeout"


class ProtocolError(InputError):
    """A message was refused; `code` is an ErrorCode, `request_id` the id when it was read.
    During the handshake it also closes the connection."""

    def __init__(self, code: str, message: str, *, request_id: RequestId | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.request_id = request_id


class Disconnect(Exception):
    """Close this connection, telling the client why (`code`) when the stream still works;
    `code=None` closes silently (the reason was already sent as a reply)."""

    def __init__(self, code: str | None, message: str) -> None:
        super().__init__(message)
        self.code = code


def _bounded(lo: int, hi: int) -> dict[str, int]:
    return {"min": lo, "max": hi}


@dataclass(frozen=True, slots=True)
class Request:
    TYPE: ClassVar[str] = ""
    id: RequestId


@dataclass(frozen=True, slots=True)
class Auth(Request):
    TYPE: ClassVar[str] = "auth"
    token: str = field(metadata={"secret": True})


@dataclass(frozen=True, slots=True)
class Hello(Request):
    TYPE: ClassVar[str] = "hello"
    version: int = field(metadata=_bounded(0, 1 << 16))
    client: str = ""


@dataclass(frozen=True, slots=True)
class Ping(Request):
    TYPE: ClassVar[str] = "ping"


@dataclass(frozen=True, slots=True)
class Status(Request):
    TYPE: ClassVar[str] = "status"


@dataclass(frozen=True, slots=True)
class CamerasList(Request):
    TYPE: ClassVar[str] = "cameras.list"


@dataclass(frozen=True, slots=True)
class WatchlistsList(Request):
    TYPE: ClassVar[str] = "watchlists.list"


@dataclass(frozen=True, slots=True)
class WatchlistReload(Request):
    TYPE: ClassVar[str] = "watchlist.reload"
    name: str | None = None


@dataclass(frozen=True, slots=True)
class WatchlistPublish(Request):
    """At a cluster hub: push the sealed watchlist to these sites (lfr.cluster); the actor
    is the connection's."""

    TYPE: ClassVar[str] = "watchlist.publish"
    name: str
    sites: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class WatchlistWithdraw(Request):
    """At a cluster hub: take the watchlist back from every site."""

    TYPE: ClassVar[str] = "watchlist.withdraw"
    name: str


@dataclass(frozen=True, slots=True)
class AlertsList(Request):
    TYPE: ClassVar[str] = "alerts.list"
    since_seq: int = field(default=0, metadata=_bounded(0, MAX_SEQ))
    limit: int = field(default=100, metadata=_bounded(1, 1000))


@dataclass(frozen=True, slots=True)
class AlertAdjudicate(Request):
    """`by`: the officer the verdict is recorded for, when not the connection's own actor."""

    TYPE: ClassVar[str] = "alert.adjudicate"
    alert_id: str
    verdict: str
    by: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Subscribe(Request):
    TYPE: ClassVar[str] = "subscribe"
    topics: tuple[str, ...]
    since_seq: int | None = field(default=None, metadata=_bounded(0, MAX_SEQ))


@dataclass(frozen=True, slots=True)
class Unsubscribe(Request):
    TYPE: ClassVar[str] = "unsubscribe"
    topics: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Ack(Request):
    TYPE: ClassVar[str] = "ack"
    topic: str
    seq: int = field(metadata=_bounded(0, MAX_SEQ))


REQUEST_TYPES: dict[str, type[Request]] = {
    cls.TYPE: cls
    for cls in (
        Auth,
        Hello,
        Ping,
        Status,
        CamerasList,
        WatchlistsList,
        WatchlistReload,
        WatchlistPublish,
        WatchlistWithdraw,
        AlertsList,
        AlertAdjudicate,
        Subscribe,
        Unsubscribe,
        Ack,
    )
}


_HINTS: dict[type[Request], dict[str, Any]] = {}


def _hints(cls: type[Request]) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = typing.get_type_hints(cls)
    return _HINTS[cls]


def _check_id(value: Any) -> RequestId:
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "`id` must be an integer or a string")
    if isinstance(value, int) and not 0 <= value <= MAX_SEQ:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "`id` must be within 0..2**63-1")
    if isinstance(value, str) and len(value) > MAX_ID_LEN:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"`id` longer than {MAX_ID_LEN}")
    return value


def _check_value(name: str, hint: Any, value: Any, meta: typing.Mapping[str, Any]) -> Any:
    """Validate one field against its annotation (int, str, X | None, tuple[str, ...])."""
    args = typing.get_args(hint)
    if type(None) in args:
        if value is None:
            return None
        hint = next(a for a in args if a is not type(None))
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"`{name}` must be an integer")
        lo, hi = meta.get("min", 0), meta.get("max", MAX_SEQ)
        if not lo <= value <= hi:
            raise ValueError(f"`{name}` must be within {lo}..{hi}")
        return value
    if hint is str:
        if not isinstance(value, str):
            raise ValueError(f"`{name}` must be a string")
        if len(value) > MAX_TEXT:
            raise ValueError(f"`{name}` is longer than {MAX_TEXT} characters")
        return value
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError(f"`{name}` must be an array of strings")
        if len(value) > 16:
            raise ValueError(f"`{name}` has more than 16 entries")
        return tuple(value)
    raise TypeError(f"unsupported schema type for {name}: {hint!r}")  # a bug in this module


def parse_request(message: dict[str, Any]) -> Request:
    """Validate a decoded frame as a request; raise ProtocolError naming what is wrong."""
    kind = message.get("type")
    request_id = None
    if "id" in message:
        request_id = _check_id(message["id"])
    if not isinstance(kind, str):
        raise ProtocolError(
            ErrorCode.INVALID_REQUEST, "`type` must be a string", request_id=request_id
        )
    cls = REQUEST_TYPES.get(kind)
    if cls is None:
        raise ProtocolError(
            ErrorCode.UNKNOWN_TYPE, f"unknown message type {kind[:64]!r}", request_id=request_id
        )
    if request_id is None:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"`{kind}` needs an `id`")
    hints = _hints(cls)
    known = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(message) - set(known) - {"type"})
    if unknown:
        raise ProtocolError(
            ErrorCode.INVALID_REQUEST,
            f"unknown field `{unknown[0][:64]}` in `{kind}`",
            request_id=request_id,
        )
    values: dict[str, Any] = {"id": request_id}
    for name, spec in known.items():
        if name == "id":
            continue
        if name not in message:
            if spec.default is dataclasses.MISSING:
                raise ProtocolError(
                    ErrorCode.INVALID_REQUEST, f"`{kind}` needs `{name}`", request_id=request_id
                )
            continue
        try:
            values[name] = _check_value(name, hints[name], message[name], spec.metadata)
        except ValueError as exc:
            raise ProtocolError(
                ErrorCode.INVALID_REQUEST, f"{kind}: {exc}", request_id=request_id
            ) from None
    return cls(**values)


def request_to_wire(request: Request) -> dict[str, Any]:
    """The map a client sends for `request` (defaults left out, tuples as arrays)."""
    out: dict[str, Any] = {"type": request.TYPE, "id": request.id}
    for f in dataclasses.fields(request):
        value = getattr(request, f.name)
        if f.name == "id" or (f.default is not dataclasses.MISSING and value == f.default):
            continue
        out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


# ---- server -> client -----------------------------------------------------------------------


def reply_ok(request_id: RequestId, result: Any) -> dict[str, Any]:
    return {"type": "reply", "id": request_id, "ok": True, "result": result}


def reply_error(request_id: RequestId | None, code: str, message: str) -> dict[str, Any]:
    return {
        "type": "reply",
        "id": request_id,
        "ok": False,
        "error": {"code": str(code), "message": message},
    }


def error_notice(code: str, message: str) -> dict[str, Any]:
    """A connection-level error not tied to a request; the server closes after sending it."""
    return {"type": "error", "error": {"code": str(code), "message": message}}


def event(topic: str, seq: int, data: Any) -> dict[str, Any]:
    return {"type": "event", "topic": topic, "seq": seq, "data": data}


def lagged(topic: str, missed: int, last_seq: int | None) -> dict[str, Any]:
    """`last_seq`: the last event delivered before the gap; re-read from there."""
    return {"type": "lagged", "topic": topic, "missed": missed, "last_seq": last_seq}
