"""`lfr eval identify` with video probes: one search per track, decided by the pipeline."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def test_video_tracks_are_searches_decided_by_the_pipeline(tmp_path: Path, identify) -> None:
    gallery, probes = tmp_path / "g.tsv", tmp_path / "p.tsv"
    gallery.write_text("face_recognition/examples/lin-manuel-miranda.png\tmiranda\n")
    probes.write_text(
        "face_recognition/examples/short_hamilton_clip.mp4\tmiranda\n"
        "facenet-pytorch/examples/video.mp4\t-\n"
    )
    r = identify(gallery, probes, "--threshold", "0.5")
    # The Hamilton clip is one mated search; every track of the crowd clip a non-mated one.
    assert r["mated"] == 1 and r["non_mated"] >= 10
    assert r["rank1"] == 1.0
    at = next(p for p in r["operating_points"] if p["threshold"] == 0.5)
    assert at["fnir"] == 0.0 and at["fpir"] == 0.0
    # At a threshold low enough, some crowd track alerts for Miranda: a false positive.
    lowest = r["operating_points"][0]
    assert lowest["threshold"] == 0.1 and lowest["fpir"] > 0.0
