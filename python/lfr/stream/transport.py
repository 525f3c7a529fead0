"""Which RTP transport an RTSP camera is opened with, and what a refusal means.

FFmpeg asks an RTSP server for one lower transport at a time. TCP (RTP interleaved in the
RTSP connection) is the first choice: it crosses NAT and firewalls and loses no packets. Many
cameras and encoders offer only RTP over UDP, though, and answer a TCP `SETUP` with
`461 Unsupported transport`, which FFmpeg reports as `EPROTONOSUPPORT` ("Protocol not
supported"). A camera's `rtsp_transport` setting says what to do:

- "auto" (default): TCP first; when the server refuses it, UDP, remembered for later
  reconnects (and back to TCP if the server one day refuses UDP instead).
- "tcp" / "udp": only that one; a refusal is FAILED with a message naming the setting.

Nothing here touches PyAV: `RtspTransport` is told about refusals and decides.
"""

from __future__ import annotations

import errno

from lfr.errors import InputError
from lfr.stream.inputs import RTSP_TRANSPORTS

_NAMES = {"tcp": "RTP over TCP (interleaved)", "udp": "RTP over UDP"}


class TransportError(InputError):
    """The RTSP server refused the RTP transport asked for; the message says what next."""


class TransportFallback(TransportError):
    """Refused, and the setting allows the other transport: tried next, after the backoff."""


class TransportRefused(TransportError):
    """The RTSP server refused every RTP transport the camera's setting allows."""


def is_refusal(exc: BaseException) -> bool:
    """Did the server refuse the transport asked for (RTSP 461 -> EPROTONOSUPPORT)?"""
    return isinstance(exc, OSError) and exc.errno == errno.EPROTONOSUPPORT


class RtspTransport:
    """The transport to ask for next, for one camera."""

    def __init__(self, camera_id: str, setting: str = "auto") -> None:
        if setting not in RTSP_TRANSPORTS:
            raise ValueError(f"rtsp_transport must be one of {RTSP_TRANSPORTS}, got {setting!r}")
        self.camera_id = camera_id
        self.setting = setting
        self.current = self._first()
        self._refused: set[str] = set()

    def _first(self) -> str:
        return "udp" if self.setting == "udp" else "tcp"

    def connected(self) -> None:
        """A session opened: refusals before it are history."""
        self._refused.clear()

    def refused(self) -> TransportFallback | TransportRefused:
        """The server refused `current`: a fallback (`current` is switched), or, when the
        setting allows nothing else, the TransportRefused to fail with (and `current` starts
        again from the first choice, for the slow retry of a FAILED camera)."""
        refused = self.current
        self._refused.add(refused)
        other = "udp" if refused == "tcp" else "tcp"
        if self.setting == "auto" and other not in self._refused:
            self.current = other
            return TransportFallback(
                f"the RTSP server refused {_NAMES[refused]}; trying {_NAMES[other]} "
                '(rtsp_transport = "auto")'
            )
        self.current = self._first()
        self._refused.clear()
        return TransportRefused(self._failure(refused))

    def _failure(self, refused: str) -> str:
        key = f'rtsp_transport for camera "{self.camera_id}"'
        if self.setting == "auto":
            return (
                "the RTSP server refused both RTP over TCP and RTP over UDP (it answered "
                "461 Unsupported transport to each): it may allow only multicast or HTTP "
                "tunnelling, which lfr does not use; check the camera's streaming settings"
            )
        other = "udp" if refused == "tcp" else "tcp"
        return (
            f"the RTSP server refused {_NAMES[refused]} (461 Unsupported transport: it "
            f'offers {other.upper()} only?); set {key} to "{other}" or "auto"'
        )
