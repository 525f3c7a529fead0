"""`lfr probe --watchlist`: each face's best matches on a watchlist, nothing written."""

from __future__ import annotations

import json
from pathlib import Path

from pipeline_helpers import run_lfr


def test_probe_reports_matches_only_for_the_enrolled_person(home: Path, sample_data: Path) -> None:
    ex = sample_data / "face_recognition/examples"
    before = sorted(p.name for p in home.iterdir())
    proc = run_lfr(
        [
            "probe",
            str(ex / "lin-manuel-miranda.png"),
            str(ex / "two_people.jpg"),
            "--watchlist",
            "wl",
            "--json",
        ],
        home,
    )
    assert proc.returncode == 0, proc.stderr
    images = json.loads(proc.stdout)["images"]
    (lin,) = images[0]["faces"]
    assert lin["matches"][0]["identity"] == "lin-manuel-miranda"
    assert lin["matches"][0]["match"] is True
    others = images[1]["faces"]
    assert len(others) == 2
    assert not any(m["match"] for face in others for m in face["matches"])
    assert sorted(p.name for p in home.iterdir()) == before
