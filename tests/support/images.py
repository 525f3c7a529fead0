"""Builders for test images: real encoders (PyAV/FFmpeg), real containers, written to disk;
shared by the inference tests and the image-folder camera tests."""

from __future__ import annotations

import struct
import zlib
from fractions import Fraction
from pathlib import Path

import av
import numpy as np


def encode(arr: np.ndarray, codec: str, pix_fmt: str, src_fmt: str = "bgr24") -> bytes:
    """Encode one frame with an FFmpeg image encoder (png, mjpeg, libwebp, bmp)."""
    cc = av.CodecContext.create(codec, "w")
    cc.width, cc.height = arr.shape[1], arr.shape[0]
    cc.pix_fmt = pix_fmt
    cc.time_base = Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(arr, format=src_fmt)
    if src_fmt != pix_fmt:
        frame = frame.reformat(format=pix_fmt)
    return b"".join(bytes(p) for p in cc.encode(frame)) + b"".join(
        bytes(p) for p in cc.encode(None)
    )


def gradient(h: int = 96, w: int = 128) -> np.ndarray:
    """A smooth BGR test card (lossy codecs keep it close)."""
    y, x = np.mgrid[0:h, 0:w]
    return np.stack(
        [x * 255 // (w - 1), y * 255 // (h - 1), (x + y) * 255 // (h + w - 2)], axis=2
    ).astype(np.uint8)


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def huge_png(path: Path, side: int = 20000) -> Path:
    """A valid side x side 8-bit grey PNG (all black) streamed through zlib: ~400 KB on disk,
    `side**2` pixels decoded: the decompression-bomb shape."""
    comp = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + pixels
    parts = [comp.compress(row * 500) for _ in range(side // 500)]
    parts.append(comp.flush())
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    data = (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"IDAT", b"".join(parts))
        + _chunk(b"IEND", b"")
    )
    path.write_bytes(data)
    return path
