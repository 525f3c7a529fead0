"""What the demo enrols and what it plays: the sample media when present, else a scene built
from a public-domain portrait."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DemoMedia:
    identity: str
    label: str
    enrol: Path
    clip: Path
    source: str  # where the media came from, for the banner


def pick_media(sample: Path | None, workdir: Path) -> DemoMedia:
    if sample is not None:
        examples = sample / "face_recognition" / "examples"
        enrol, clip = examples / "lin-manuel-miranda.png", examples / "short_hamilton_clip.mp4"
        if enrol.is_file() and clip.is_file():
            return DemoMedia(
                "lin-manuel-miranda", "Lin-Manuel Miranda", enrol, clip, f"sample media in {sample}"
            )
    return _astronaut_scene(workdir)


def _astronaut_scene(workdir: Path) -> DemoMedia:
    from lfr.demo.astronaut import astronaut_png
    from lfr.demo.scene import build_scene
    from lfr.imageio import load_image

    portrait = astronaut_png()
    clip = build_scene(load_image(portrait), workdir / "astronaut_scene.mp4")
    return DemoMedia(
        "eileen-collins",
        "Eileen Collins (NASA portrait)",
        portrait,
        clip,
        "a scene built from scikit-image's public-domain astronaut portrait",
    )
