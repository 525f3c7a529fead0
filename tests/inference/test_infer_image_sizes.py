"""The size a decoder will allocate is known before it runs, whatever the format says about
itself: an extended WebP (VP8X) declares a canvas, but its VP8/VP8L bitstreams state their own
size, and a small canvas around a huge bitstream (or the reverse) must not slip past the pixel
check. TIFF, which image folders accept, is sized from its first IFD."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

import lfr.imageio as imageio
from lfr.imageheader import HeaderError, read_header
from lfr.imageio import ImageError, load_image
from support.images import encode, gradient


def _chunk(fourcc: bytes, body: bytes) -> bytes:
    return fourcc + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)


def _riff(*chunks: bytes) -> bytes:
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def _vp8x(w: int, h: int, flags: int = 0) -> bytes:
    size = (w - 1).to_bytes(3, "little") + (h - 1).to_bytes(3, "little")
    return _chunk(b"VP8X", bytes([flags, 0, 0, 0]) + size)


def _vp8(w: int, h: int) -> bytes:
    """A VP8 key frame header stating `w x h` (what FFmpeg allocates from), then filler."""
    return _chunk(b"VP8 ", b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", w, h) + bytes(32))


def _anmf(x: int, y: int, w: int, h: int, frame: bytes) -> bytes:
    head = b"".join(v.to_bytes(3, "little") for v in (x // 2, y // 2, w - 1, h - 1, 100))
    return _chunk(b"ANMF", head + b"\x00" + frame)


def _never_decode(monkeypatch: pytest.MonkeyPatch) -> None:
    def must_not_decode(*_: object) -> None:
        raise AssertionError("decoder reached: the bitstream's frame would have been allocated")

    monkeypatch.setattr(imageio, "_decode", must_not_decode)


@pytest.mark.parametrize(
    ("canvas", "bitstream"),
    [
        ((100, 100), (16383, 16383)),  # small canvas, huge picture: 268 MP decoded
        ((7000, 7000), (100, 100)),  # the reverse: a canvas just under the limit
    ],
)
def test_webp_canvas_and_bitstream_must_agree_before_decoding(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    canvas: tuple[int, int],
    bitstream: tuple[int, int],
) -> None:
    path = tmp_path / "trick.webp"
    path.write_bytes(_riff(_vp8x(*canvas), _vp8(*bitstream)))
    _never_decode(monkeypatch)
    with pytest.raises(ImageError, match=r"corrupt WebP: the canvas is \d+x\d+ but its image"):
        load_image(path)


def test_webp_animation_frames_are_checked_too() -> None:
    inside = _riff(_vp8x(200, 200, flags=0x02), _anmf(0, 0, 100, 100, _vp8(100, 100)))
    assert (read_header(inside).width, read_header(inside).height) == (200, 200)
    huge_frame = _riff(_vp8x(200, 200, 0x02), _anmf(0, 0, 100, 100, _vp8(16000, 16000)))
    with pytest.raises(HeaderError, match="the frame is 100x100 but its image data is 16000x16000"):
        read_header(huge_frame)
    outside = _riff(_vp8x(200, 200, 0x02), _anmf(150, 0, 100, 100, _vp8(100, 100)))
    with pytest.raises(HeaderError, match="outside the 200x200 canvas"):
        read_header(outside)
    with pytest.raises(HeaderError, match="no image data"):
        read_header(_riff(_vp8x(200, 200)))


def test_a_real_extended_webp_still_loads(tmp_path: Path) -> None:
    """libwebp writes VP8X + ALPH + VP8 for a picture with transparency."""
    bgra = np.zeros((96, 128, 4), np.uint8)
    bgra[:, :64] = (0, 0, 255, 255)  # opaque red on the left, transparent on the right
    data = encode(bgra, "libwebp", "yuva420p", src_fmt="bgra")
    assert data[12:16] == b"VP8X"
    path = tmp_path / "alpha.webp"
    path.write_bytes(data)
    img = load_image(path)
    assert img.shape == (96, 128, 3)
    assert np.abs(img[:, :56].astype(int) - (0, 0, 255)).max() < 24
    assert (img[:, 72:] > 230).all()  # composited over white


def test_tiff_is_sized_from_its_header_and_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    card = gradient()
    path = tmp_path / "card.tif"
    path.write_bytes(encode(card, "tiff", "rgb24"))
    header = read_header(path.read_bytes())
    assert (header.format, header.width, header.height) == ("tiff", 128, 96)
    assert np.array_equal(load_image(path), card)  # lossless
    with pytest.raises(ImageError, match="over the"):
        load_image(path, max_pixels=128 * 96 - 1)
    big_endian = b"MM\x00*" + struct.pack(">I", 8) + struct.pack(">H", 2)
    big_endian += struct.pack(">HHII", 256, 4, 1, 30000) + struct.pack(
        ">HHIHH", 257, 3, 1, 30000, 0
    )
    _never_decode(monkeypatch)
    with pytest.raises(ImageError, match=r"30000x30000 \(900 MP\), over the 50 MP limit"):
        imageio.decode_image(big_endian, "bomb.tif")
