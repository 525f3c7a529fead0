"""Loading still images (enrolment photos, probes, eval pairs) as BGR uint8 arrays.

The format comes from the content, never the extension; the size is checked from the header
before decoding so an oversized image is refused without allocating its frame; a file whose
end marker is missing is refused rather than decoded into a half-grey picture. PyAV (already
a dependency for cameras) does the decoding; grayscale, 16-bit and palette images are
converted to 8-bit BGR, and alpha is composited over white (transparent passport-photo
backgrounds are white by convention). JPEG EXIF orientation is applied.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np

from lfr.errors import InputError
from lfr.imageheader import Header, HeaderError, read_header

MAX_PIXELS = 50_000_000  # 50 MP: any real camera photo; refuses decompression bombs
MAX_FILE_BYTES = 200 * 1024 * 1024


class ImageError(InputError):
    """An image file cannot be used; the message names the file and the reason."""


def _read_bytes(path: Path) -> bytes:
    if path.is_dir():
        raise ImageError(f"{path}: is a directory, not an image file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ImageError(
                f"{path}: file is {size / 2**20:.0f} MiB, over the {MAX_FILE_BYTES // 2**20} MiB limit"
            )
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ImageError(f"{path}: no such file") from exc
    except OSError as exc:
        raise ImageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if not data:
        raise ImageError(f"{path}: empty file")
    return data


def _decode(data: bytes, header: Header) -> np.ndarray:
    import av

    with av.open(io.BytesIO(data), mode="r", format=f"{header.format}_pipe") as container:
        stream = container.streams.video[0]
        # Fail on bitstream errors instead of concealing them: a corrupt body would otherwise
        # decode into a smeared face that still yields a (wrong) template. Not for TIFF:
        # FFmpeg's decoder then refuses any tag it does not know (even ResolutionUnit, which
        # its own encoder writes); a TIFF's strips were checked against the file instead.
        if header.format != "tiff":
            stream.codec_context.options = {"err_detect": "explode"}
        frame = next(container.decode(stream))
    if (frame.width, frame.height) != (header.width, header.height):
        raise ValueError(
            f"decoded {frame.width}x{frame.height}, header says {header.width}x{header.height}"
        )
    if any(c.is_alpha for c in frame.format.components):
        bgra = frame.to_ndarray(format="bgra").astype(np.uint16)
        alpha = bgra[..., 3:4]
        bgr = (bgra[..., :3] * alpha + 255 * (255 - alpha) + 127) // 255
        return np.ascontiguousarray(bgr.astype(np.uint8))
    return np.ascontiguousarray(frame.to_ndarray(format="bgr24"))


def _orient(img: np.ndarray, orientation: int) -> np.ndarray:
    """Apply an EXIF orientation (1..8) so the face is upright."""
    ops = {
        2: lambda a: a[:, ::-1],
        3: lambda a: a[::-1, ::-1],
        4: lambda a: a[::-1],
        5: lambda a: a.transpose(1, 0, 2),
        6: lambda a: np.rot90(a, -1),
        7: lambda a: np.rot90(a, 1)[::-1],
        8: lambda a: np.rot90(a, 1),
    }
    op = ops.get(orientation)
    return img if op is None else np.ascontiguousarray(op(img))


def load_image(path: str | Path, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """uint8 [H, W, 3] BGR, C-contiguous. Raises ImageError with the file and the reason."""
    path = Path(path)
    return decode_image(_read_bytes(path), path, max_pixels=max_pixels)


def decode_image(data: bytes, path: str | Path, *, max_pixels: int = MAX_PIXELS) -> np.ndarray:
    """`load_image` for bytes already read (e.g. to hash them too); `path` names them in
    errors."""
    if not data:
        raise ImageError(f"{path}: empty file")
    if len(data) > MAX_FILE_BYTES:
        raise ImageError(
            f"{path}: file is {len(data) / 2**20:.0f} MiB, over the "
            f"{MAX_FILE_BYTES // 2**20} MiB limit"
        )
    try:
        header = read_header(data)
    except HeaderError as exc:
        raise ImageError(f"{path}: {exc}") from exc
    pixels = header.width * header.height
    if pixels > max_pixels:
        raise ImageError(
            f"{path}: image is {header.width}x{header.height} ({pixels / 1e6:.0f} MP), over the "
            f"{max_pixels / 1e6:.0f} MP limit; downscale it before use"
        )
    if not header.complete:
        raise ImageError(f"{path}: truncated {header.format.upper()} (its end marker is missing)")
    try:
        img = _decode(data, header)
    except Exception as exc:  # PyAV raises FFmpegError subclasses, StopIteration, ValueError
        raise ImageError(
            f"{path}: corrupt {header.format.upper()}: {exc or type(exc).__name__}"
        ) from exc
    return _orient(img, header.orientation)
