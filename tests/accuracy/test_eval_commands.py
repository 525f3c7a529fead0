"""`lfr eval identify` (1:N, NIST FRVT definitions) and `lfr eval threshold` on real photos."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

EX = "face_recognition/examples"
GALLERY = (
    "path\tidentity\n"
    f"{EX}/obama.jpg\tobama\n"
    f"{EX}/biden.jpg\tbiden\n"
    f"{EX}/two_people.jpg\tcarol\n"  # refused (two faces): carol is not in the gallery
)
PROBES = (
    "path\tidentity\tgroup\textra\n"
    f"{EX}/obama2.jpg\tobama\tA\tignored\n"
    f"{EX}/knn_examples/test/obama1.jpg\tobama\tB\t\n"
    f"{EX}/knn_examples/train/biden/biden2.jpg\tbiden\tB\t\n"
    f"{EX}/lin-manuel-miranda.png\t-\tA\t\n"
    f"{EX}/alex-lacamoire.png\tnobody-listed\tB\t\n"
    f"{EX}/obama_small.jpg\tcarol\tA\t\n"  # carol's probe: non-mated, since she was refused
)


@pytest.fixture
def lists(tmp_path: Path) -> tuple[Path, Path]:
    gallery, probes = tmp_path / "gallery.tsv", tmp_path / "probes.tsv"
    gallery.write_text(GALLERY)
    probes.write_text(PROBES)
    return gallery, probes


def test_identify_reports_frvt_rates_with_intervals_and_groups(
    lists: tuple[Path, Path], sample_data: Path, identify, cli
) -> None:
    gallery, probes = lists
    r = identify(gallery, probes, "--threshold", "0.45")
    assert r["gallery_identities"] == 2 and (r["mated"], r["non_mated"]) == (3, 3)
    assert [g["identity"] for g in r["gallery_refused"]] == ["carol"]
    assert "faces found" in r["gallery_refused"][0]["reason"]
    assert r["rank1"] == 1.0 and r["rank1_ci"][0] < 1.0
    at = [p for p in r["operating_points"] if p["threshold"] == 0.45]
    assert len(at) == 1 and set(at[0]) == {"threshold", "fpir", "fpir_ci", "fnir", "fnir_ci"}
    # obama_small (labelled carol, not in the gallery) is Obama: a non-mated search that
    # finds someone is a false positive at any threshold under its score.
    low = next(p for p in r["operating_points"] if p["threshold"] == 0.30)
    assert low["fpir"] == pytest.approx(1 / 3) and low["fnir"] == 0.0
    lo, hi = low["fpir_ci"]
    assert 0.0 < lo < 1 / 3 < hi < 1.0
    # Three non-mated searches cannot resolve FPIR 0.1: null, not a guess.
    assert r["threshold_at_fpir"] == {"0.1": None, "0.01": None, "0.001": None}
    assert r["fnir_at_fpir"] == {"0.1": None, "0.01": None, "0.001": None}
    assert set(r["by_group"]) == {"A", "B"}
    assert (r["by_group"]["A"]["mated"], r["by_group"]["A"]["non_mated"]) == (1, 2)
    assert (r["by_group"]["B"]["mated"], r["by_group"]["B"]["non_mated"]) == (2, 1)
    text = cli("eval", "identify", str(gallery), str(probes), "--root", str(sample_data))
    assert text.code == 0 and "rank-1: 100.00%" in text.out and "group A:" in text.out


def test_identify_plot_is_an_optional_extra(
    lists: tuple[Path, Path], sample_data: Path, use_analyzer: Any, cli, tmp_path: Path
) -> None:
    gallery, probes = lists
    png = tmp_path / "det.png"
    result = cli(
        "eval",
        "identify",
        str(gallery),
        str(probes),
        "--root",
        str(sample_data),
        "--plot",
        str(png),
    )
    if importlib.util.find_spec("matplotlib") is None:
        assert result.code != 0 and "pip install 'lfr[plot]'" in result.err and not png.exists()
    else:
        assert result.code == 0 and png.read_bytes()[:4] == b"\x89PNG"


def test_threshold_follows_size_and_rate_and_says_when_extrapolated(cli) -> None:
    def threshold(*args: str) -> dict[str, Any]:
        result = cli("eval", "threshold", *args, "--json")
        assert result.code == 0, result.err
        return json.loads(result.out)

    small = threshold("--watchlist-size", "10", "--fpir", "0.1")
    large = threshold("--watchlist-size", "1000", "--fpir", "0.1")
    strict = threshold("--watchlist-size", "1000", "--fpir", "0.0001")
    assert {"threshold", "interval", "extrapolated"} <= set(small)
    assert small["threshold"] < large["threshold"] < strict["threshold"]
    assert not small["extrapolated"] and strict["extrapolated"]
    lo, hi = strict["interval"]
    assert lo < strict["threshold"] < hi
    text = cli("eval", "threshold", "--watchlist-size", "1000", "--fpir", "0.0001")
    assert "extrapolated" in text.out
    bad = cli("eval", "threshold", "--watchlist-size", "10", "--fpir", "2")
    assert bad.code != 0 and "--fpir" in bad.err


def test_threshold_from_a_pairs_file(sample_data: Path, use_analyzer: Any, cli) -> None:
    result = cli(
        "eval",
        "threshold",
        "--watchlist-size",
        "10",
        "--fpir",
        "0.1",
        "--pairs",
        str(sample_data / "PAIRS.tsv"),
        "--root",
        str(sample_data),
        "--json",
    )
    assert result.code == 0, result.err
    r = json.loads(result.out)
    assert r["comparisons"] > 100 and "PAIRS.tsv" in r["source"]
    assert -1.0 < r["interval"][0] <= r["threshold"] <= r["interval"][1] < 1.0
