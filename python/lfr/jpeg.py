"""JPEG encoding of small face images (alert crops, reference thumbnails) through PyAV.

PyAV is already a dependency for decoding, so its MJPEG encoder saves pulling in an imaging
library for a few kilobytes per alert.
"""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from lfr.errors import InputError


def encode_jpeg(image_bgr: np.ndarray, *, quality: int = 4) -> bytes:
    """Encode an 8-bit BGR image as a baseline JPEG. `quality` is FFmpeg's qscale (2 best, 31
    worst); 4 keeps a face crop recognisable to an officer at a few KB."""
    if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
        raise InputError(
            f"expected a uint8 [H, W, 3] BGR image, got {image_bgr.dtype} {list(image_bgr.shape)}"
        )
    height, width = image_bgr.shape[:2]
    # yuvj420p needs even sides; crop a trailing odd row/column rather than resample.
    height, width = height - height % 2, width - width % 2
    if height < 2 or width < 2:
        raise InputError("image too small to encode")
    frame = av.VideoFrame.from_ndarray(
        np.ascontiguousarray(image_bgr[:height, :width]), format="bgr24"
    )
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height = width, height
    codec.pix_fmt = "yuvj420p"
    codec.time_base = Fraction(1, 25)  # required by the encoder API; unused for one image
    codec.options = {"qmin": str(quality), "qmax": str(quality)}
    packets = codec.encode(frame.reformat(format="yuvj420p")) + codec.encode(None)
    return b"".join(bytes(p) for p in packets)
