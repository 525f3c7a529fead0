"""load_image: format from content, every bad input a clear ImageError, odd-but-valid inputs
converted to 8-bit BGR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import lfr.imageio as imageio
from lfr.imageio import ImageError, load_image
from support.images import encode, gradient, huge_png


def test_png_named_jpg_is_read_by_content(tmp_path: Path) -> None:
    card = gradient()
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(card, "png", "rgb24"))
    assert np.array_equal(load_image(path), card)  # lossless: exact BGR back


def test_webp_named_jpg_is_read_by_content(tmp_path: Path) -> None:
    card = gradient()
    path = tmp_path / "photo.jpg"
    path.write_bytes(encode(card, "libwebp", "yuv420p"))
    img = load_image(path)
    assert img.shape == card.shape and img.dtype == np.uint8 and img.flags.c_contiguous
    assert np.abs(img.astype(int) - card).mean() < 6  # lossy, but the same picture


def test_sample_webp_with_jpg_extension(sample_data: Path) -> None:
    img = load_image(sample_data / "deepface/tests/unit/dataset/img47.jpg")
    assert img.shape == (1800, 1350, 3)


def test_grayscale_becomes_three_equal_channels(tmp_path: Path) -> None:
    grey = gradient()[:, :, 0].copy()
    path = tmp_path / "grey.png"
    path.write_bytes(encode(grey, "png", "gray", src_fmt="gray"))
    img = load_image(path)
    assert img.shape == (*grey.shape, 3)
    for c in range(3):
        assert np.abs(img[:, :, c].astype(int) - grey).max() <= 1


def test_rgba_is_composited_over_white(tmp_path: Path) -> None:
    bgra = np.zeros((32, 32, 4), np.uint8)
    bgra[:, :16] = (0, 0, 255, 255)  # opaque red on the left
    bgra[:, 16:] = (0, 0, 255, 0)  # fully transparent on the right
    path = tmp_path / "alpha.png"
    path.write_bytes(encode(bgra, "png", "rgba", src_fmt="bgra"))
    img = load_image(path)
    assert img.shape == (32, 32, 3)
    assert (img[:, :16] == (0, 0, 255)).all()
    assert (img[:, 16:] == (255, 255, 255)).all()


def test_16_bit_png_scaled_to_8_bit(tmp_path: Path) -> None:
    card = gradient()
    path = tmp_path / "deep.png"
    path.write_bytes(encode(card, "png", "rgb48be"))
    img = load_image(path)
    assert img.dtype == np.uint8
    assert np.abs(img.astype(int) - card).max() <= 1


def test_32bit_sample_png(sample_data: Path) -> None:
    img = load_image(sample_data / "face_recognition/tests/test_images/32bit.png")
    assert img.ndim == 3 and img.shape[2] == 3 and img.dtype == np.uint8


def test_truncated_jpeg_refused(tmp_path: Path) -> None:
    data = encode(gradient(256, 256), "mjpeg", "yuvj420p")
    path = tmp_path / "cut.jpg"
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.raises(ImageError, match="truncated JPEG"):
        load_image(path)


def test_truncated_sample_photo_refused(tmp_path: Path, sample_data: Path) -> None:
    data = (sample_data / "face_recognition/examples/obama.jpg").read_bytes()
    path = tmp_path / "obama_cut.jpg"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="truncated"):
        load_image(path)


def test_truncated_png_refused(tmp_path: Path) -> None:
    data = encode(gradient(), "png", "rgb24")
    path = tmp_path / "cut.png"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ImageError, match="PNG"):
        load_image(path)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.jpg", b"", "empty file"),
        (
            "random.jpg",
            bytes(np.random.default_rng(7).integers(0, 256, 4096, dtype=np.uint8)),
            "not a supported image",
        ),
        ("text.png", b"hello, I am not a picture\n" * 10, "not a supported image"),
        ("header_only.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "JPEG"),
        (
            "bad_body.jpg",
            b"\xff\xd8\xff\xdb\x00\x04\x00\x00\xff\xc0\x00\x0b\x08\x00\x10\x00\x10\x01\x01\x11\x00\xff\xda\x00\x02"
            + b"\x13" * 64
            + b"\xff\xd9",
            "JPEG",
        ),
    ],
)
def test_bad_content_refused(tmp_path: Path, name: str, content: bytes, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ImageError, match=message) as info:
        load_image(path)
    assert str(path) in str(info.value)


def test_directory_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="is a directory"):
        load_image(tmp_path)


def test_missing_file_refused(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="no such file"):
        load_image(tmp_path / "nope.jpg")


def test_huge_image_refused_before_decoding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = huge_png(tmp_path / "huge.jpg")

    def must_not_decode(*_: object) -> None:
        raise AssertionError("decoder reached: the full frame would have been allocated")

    monkeypatch.setattr(imageio, "_decode", must_not_decode)
    with pytest.raises(ImageError, match=r"20000x20000 \(400 MP\), over the 50 MP limit"):
        load_image(path)


def test_pixel_limit_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "card.png"
    path.write_bytes(encode(gradient(96, 128), "png", "rgb24"))
    assert load_image(path, max_pixels=96 * 128).shape == (96, 128, 3)
    with pytest.raises(ImageError, match="over the"):
        load_image(path, max_pixels=96 * 128 - 1)


def test_exif_orientation_applied(tmp_path: Path) -> None:
    """An EXIF Orientation=6 (rotate 90 clockwise) JPEG comes back upright."""
    card = np.zeros((64, 96, 3), np.uint8)
    card[:16, :] = 255  # white band along the top edge of the stored image
    data = encode(card, "mjpeg", "yuvj444p")
    tiff = (
        b"II*\x00\x08\x00\x00\x00"
        + b"\x01\x00"
        + b"\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00"
        + b"\x00\x00\x00\x00"
    )
    app1 = b"\xff\xe1" + (len(tiff) + 8).to_bytes(2, "big") + b"Exif\x00\x00" + tiff
    path = tmp_path / "rotated.jpg"
    path.write_bytes(data[:2] + app1 + data[2:])
    img = load_image(path)
    assert img.shape == (96, 64, 3)  # rotated
    assert img[:, -8:].mean() > 200 and img[:, :40].mean() < 30  # top band now on the right


def test_corrupt_jpeg_body_refused(tmp_path: Path, sample_data: Path) -> None:
    """Damaged entropy-coded data (end marker intact) is an error, not a concealed picture."""
    data = bytearray((sample_data / "face_recognition/examples/obama.jpg").read_bytes())
    rng = np.random.default_rng(1)
    for i in rng.integers(len(data) // 3, len(data) - 10, 50):
        data[i] = int(rng.integers(0, 256))
    path = tmp_path / "damaged.jpg"
    path.write_bytes(bytes(data))
    with pytest.raises(ImageError, match="corrupt JPEG"):
        load_image(path)
