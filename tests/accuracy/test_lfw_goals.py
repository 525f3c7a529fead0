"""The 1:N goals on the LFW slice's evaluation half (never used for the reference
distribution), measured with the commands an evaluator runs: `benches/lfw_split.py` writes
the lists, `lfr eval threshold` gives the threshold for the gallery's size at FPIR 0.01, and
`lfr eval identify` measures at it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
BENCHES = Path(__file__).resolve().parents[2] / "benches"


def test_rank1_and_rates_at_the_calibrated_threshold(
    sample_data: Path, tmp_path: Path, identify, cli
) -> None:
    subprocess.run(
        [sys.executable, str(BENCHES / "lfw_split.py"), str(tmp_path)],
        check=True,
        env={"LFR_SAMPLE_DATA": str(sample_data), "PATH": "/usr/bin:/bin"},
    )
    lists = (tmp_path / "gallery.tsv", tmp_path / "probes.tsv")
    first = identify(*lists)
    size = first["gallery_identities"]
    threshold = json.loads(
        cli("eval", "threshold", "--watchlist-size", str(size), "--fpir", "0.01", "--json").out
    )
    t = round(threshold["threshold"], 4)
    r = identify(*lists, "--threshold", str(t))
    assert r["mated"] > 300 and r["non_mated"] > 700
    assert r["rank1"] >= 0.98
    point = next(p for p in r["operating_points"] if p["threshold"] == t)
    assert point["fpir"] <= 0.02 and point["fnir"] <= 0.05
