"""Image format and size from the first bytes, before any decoder runs.

WHY our own parser: the extension can lie (a WebP named .jpg) and a decoder allocates the full
frame from the header's size before it can fail, so a 20000x20000 image would cost over 1 GB
before we could refuse it. These few well-specified headers tell us format, size and whether
the file is complete, cheaply and without trusting anything else.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass


class HeaderError(ValueError):
    """The bytes are not a readable header of any supported format."""


@dataclass(frozen=True)
class Header:
    format: str  # "jpeg" | "png" | "webp" | "bmp" | "tiff"
    width: int
    height: int
    complete: bool  # the end marker the format requires is present
    orientation: int = 1  # EXIF orientation (JPEG only), 1 = upright


def sniff(data: bytes) -> str | None:
    if data[:3] == b"\xff\xd8\xff":
        return "jpeg"
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[:2] == b"BM" and len(data) >= 26:
        return "bmp"
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    return None


_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def _exif_orientation(app1: bytes) -> int:
    if app1[:6] != b"Exif\x00\x00" or len(app1) < 14:
        return 1
    tiff = app1[6:]
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None:
        return 1
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for i in range(count):
        entry = tiff[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        if len(entry) < 12:
            break
        tag, _typ, _n = struct.unpack(order + "HHI", entry[:8])
        if tag == 0x0112:
            (value,) = struct.unpack(order + "H", entry[8:10])
            return value if 1 <= value <= 8 else 1
    return 1


def _jpeg(data: bytes) -> Header:
    pos, size, orientation = 2, None, 1
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise HeaderError("corrupt JPEG: bad marker")
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        segment = data[pos + 4 : pos + 2 + length]
        if marker == 0xE1 and orientation == 1:
            orientation = _exif_orientation(segment)
        if marker in _SOF and len(segment) >= 5:
            h, w = struct.unpack(">HH", segment[1:5])
            size = (w, h)
        if marker == 0xDA:  # start of scan: entropy-coded data follows until EOI
            if size is None:
                raise HeaderError("corrupt JPEG: no frame header before the scan")
            complete = data.find(b"\xff\xd9", pos + 2 + length) >= 0
            return Header("jpeg", size[0], size[1], complete, orientation)
        pos += 2 + length
    raise HeaderError("truncated JPEG: the file ends inside its header")


def _png(data: bytes) -> Header:
    if len(data) < 33 or data[12:16] != b"IHDR":
        raise HeaderError("corrupt PNG: no IHDR chunk")
    w, h = struct.unpack(">II", data[16:24])
    return Header("png", w, h, b"IEND" in data[-64:])


def _webp_bitstream(chunk: bytes, body: bytes) -> tuple[int, int] | None:
    """The size a VP8 or VP8L bitstream decodes to (what the decoder allocates)."""
    if chunk == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        w, h = struct.unpack("<HH", body[6:10])
        return w & 0x3FFF, h & 0x3FFF
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    return None


def _riff_chunks(data: bytes, pos: int) -> list[tuple[bytes, bytes]]:
    """(fourcc, body) of the RIFF chunks from `pos` on, as far as the data goes."""
    chunks = []
    while pos + 8 <= len(data):
        (size,) = struct.unpack("<I", data[pos + 4 : pos + 8])
        chunks.append((data[pos : pos + 4], data[pos + 8 : pos + 8 + size]))
        pos += 8 + size + (size & 1)  # chunks are padded to an even size
    return chunks


def _vp8x_frames(data: bytes, canvas: tuple[int, int]) -> None:
    """An extended WebP declares its canvas in VP8X and carries the pixels in later chunks,
    whose bitstreams state their own size: that is what the decoder allocates. A bitstream
    bigger than the canvas (or than its animation frame) would slip past a check of the
    canvas alone, so each one must match the rectangle it fills, inside the canvas."""
    found = False
    for fourcc, body in _riff_chunks(data, 12):
        if fourcc == b"ANMF" and len(body) >= 16:
            x, y = 2 * int.from_bytes(body[0:3], "little"), 2 * int.from_bytes(body[3:6], "little")
            w, h = int.from_bytes(body[6:9], "little") + 1, int.from_bytes(body[9:12], "little") + 1
            if x + w > canvas[0] or y + h > canvas[1]:
                raise HeaderError(
                    f"corrupt WebP: a {w}x{h} frame at ({x}, {y}) outside the "
                    f"{canvas[0]}x{canvas[1]} canvas"
                )
            frames = [(f, b) for f, b in _riff_chunks(body, 16) if f in (b"VP8 ", b"VP8L")]
            found |= _same_size(frames, (w, h), "frame")
        elif fourcc in (b"VP8 ", b"VP8L"):
            found |= _same_size([(fourcc, body)], canvas, "canvas")
    if not found:
        raise HeaderError("corrupt WebP: no image data after the VP8X header")


def _same_size(chunks: list[tuple[bytes, bytes]], size: tuple[int, int], what: str) -> bool:
    for fourcc, body in chunks:
        bitstream = _webp_bitstream(fourcc, body)
        if bitstream is None:
            raise HeaderError(f"corrupt WebP: unreadable {fourcc.decode().strip()} chunk")
        if bitstream != size:
            raise HeaderError(
                f"corrupt WebP: the {what} is {size[0]}x{size[1]} but its image data is "
                f"{bitstream[0]}x{bitstream[1]}"
            )
    return bool(chunks)


def _webp(data: bytes) -> Header:
    (riff_size,) = struct.unpack("<I", data[4:8])
    complete = len(data) >= riff_size + 8
    chunk = data[12:16]
    body = data[20:]
    if chunk in (b"VP8 ", b"VP8L"):
        size = _webp_bitstream(chunk, body)
        if size is not None:
            return Header("webp", size[0], size[1], complete)
    if chunk == b"VP8X" and len(body) >= 10:
        w = int.from_bytes(body[4:7], "little") + 1
        h = int.from_bytes(body[7:10], "little") + 1
        _vp8x_frames(data, (w, h))
        return Header("webp", w, h, complete)
    raise HeaderError("corrupt WebP: unknown or short first chunk")


def _bmp(data: bytes) -> Header:
    (file_size,) = struct.unpack("<I", data[2:6])
    w, h = struct.unpack("<ii", data[18:26])
    return Header("bmp", abs(w), abs(h), len(data) >= file_size)


_TIFF_TYPES = {3: "H", 4: "I"}  # SHORT, LONG: the types of sizes, offsets and counts


def _tiff_values(data: bytes, order: str, entry: bytes) -> list[int]:
    _tag, typ, count = struct.unpack(order + "HHI", entry[:8])
    fmt = _TIFF_TYPES.get(typ)
    if fmt is None:
        raise HeaderError(f"corrupt TIFF: field type {typ} where a number is expected")
    if count > 1 << 16:
        raise HeaderError(f"unsupported TIFF: {count} strips or tiles")
    layout = f"{order}{count}{fmt}"
    size = struct.calcsize(layout)
    if size <= 4:  # small enough to sit in the entry itself
        return list(struct.unpack(layout, entry[8 : 8 + size]))
    (offset,) = struct.unpack(order + "I", entry[8:12])
    return list(struct.unpack(layout, data[offset : offset + size]))


def _tiff(data: bytes) -> Header:
    """Width and height from the first IFD (the page a decoder reads). TIFF has no end
    marker: it is complete when every strip (or tile) it points to lies inside the file."""
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    (count,) = struct.unpack(order + "H", data[ifd : ifd + 2])
    fields: dict[int, list[int]] = {}
    for i in range(count):
        entry = data[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
        (tag,) = struct.unpack(order + "H", entry[:2])
        if tag in (256, 257, 273, 279, 324, 325):  # sizes, strip and tile offsets/counts
            fields[tag] = _tiff_values(data, order, entry)
    if 256 not in fields or 257 not in fields:
        raise HeaderError("corrupt TIFF: no image width or length in the first IFD")
    offsets, counts = fields.get(273, fields.get(324, [])), fields.get(279, fields.get(325, []))
    ends = [o + n for o, n in zip(offsets, counts, strict=False)]
    complete = bool(ends) and len(offsets) == len(counts) and max(ends) <= len(data)
    return Header("tiff", fields[256][0], fields[257][0], complete)


_PARSERS = {"jpeg": _jpeg, "png": _png, "webp": _webp, "bmp": _bmp, "tiff": _tiff}


def read_header(data: bytes) -> Header:
    """Format, size and completeness; raises HeaderError for anything unsupported."""
    fmt = sniff(data)
    if fmt is None:
        raise HeaderError("not a supported image (JPEG, PNG, WebP, BMP or TIFF content expected)")
    try:
        header = _PARSERS[fmt](data)
    except struct.error as exc:
        raise HeaderError(f"truncated {fmt.upper()} header") from exc
    if header.width < 1 or header.height < 1:
        raise HeaderError(f"corrupt {fmt.upper()}: size {header.width}x{header.height}")
    return header
