"""A short street-camera scene built from one portrait, for the demo on a bare machine.

An empty background for a moment, then the subject's head and shoulders walk in from the
left, pause in front of the camera and walk out: one pass, so exactly one alert is expected.
Encoded as H.264 with PyAV so it goes through the same decode path as any camera.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

WIDTH, HEIGHT, FPS, SECONDS = 640, 360, 25, 8.0


def _resize(image: np.ndarray, width: int, height: int) -> np.ndarray:
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="bgr24")
    return frame.reformat(width=width, height=height, format="bgr24").to_ndarray()


def _background() -> np.ndarray:
    y = np.linspace(0.0, 1.0, HEIGHT, dtype=np.float32)[:, None]
    x = np.linspace(0.0, 1.0, WIDTH, dtype=np.float32)[None, :]
    base = 90 + 60 * y + 20 * x
    bg = np.stack([base * 0.9, base, base * 1.1], axis=-1)
    return np.clip(bg, 0, 255).astype(np.uint8)


def subject_x(t: float, sprite_w: int) -> int | None:
    """Left edge of the subject at time t, or None while off screen."""
    enter, settle, leave, gone = 1.5, 3.0, 5.5, 7.0
    centre = (WIDTH - sprite_w) // 2
    if t < enter or t >= gone:
        return None
    if t < settle:
        return int(-sprite_w + (centre + sprite_w) * (t - enter) / (settle - enter))
    if t < leave:
        return centre
    return int(centre + (WIDTH - centre) * (t - leave) / (gone - leave))


def build_scene(portrait_bgr: np.ndarray, out: Path) -> Path:
    """Write the scene to `out` (mp4) and return it."""
    sprite_h = HEIGHT - 40
    h, w = portrait_bgr.shape[:2]
    sprite_w = round(w * sprite_h / h) // 2 * 2
    sprite = _resize(portrait_bgr, sprite_w, sprite_h)
    background = _background()
    with av.open(str(out), "w") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        stream.codec_context.time_base = Fraction(1, FPS)
        for i in range(int(SECONDS * FPS)):
            canvas = background.copy()
            x = subject_x(i / FPS, sprite_w)
            if x is not None:
                lo, hi = max(0, x), min(WIDTH, x + sprite_w)
                if hi > lo:
                    canvas[40:, lo:hi] = sprite[:, lo - x : hi - x]
            frame = av.VideoFrame.from_ndarray(canvas, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return out
