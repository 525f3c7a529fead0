"""`lfr probe`, `lfr eval pairs` and `lfr models` as a user runs them (real processes)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from support.images import encode, gradient, huge_png


def lfr(*args: str, home: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, LFR_HOME=str(home / "lfr-home"))
    return subprocess.run(
        [sys.executable, "-m", "lfr.cli.admin", *args, "--threads", "1"]
        if args[0] in ("probe", "eval")
        else [sys.executable, "-m", "lfr.cli.admin", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
        check=False,
    )


@pytest.mark.usefixtures("model_set")
def test_probe_json(examples: Path, tmp_path: Path) -> None:
    proc = lfr(
        "probe",
        "--json",
        str(examples / "two_people.jpg"),
        str(examples / "obama.jpg"),
        home=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["model_id"].startswith("sface-2021dec+")
    counts = [len(img["faces"]) for img in doc["images"]]
    assert counts == [2, 1]
    face = doc["images"][1]["faces"][0]
    assert set(face) == {"bbox", "score", "landmarks", "quality"} and len(face["landmarks"]) == 5
    assert 0 < face["quality"]["score"] <= 1


@pytest.mark.usefixtures("model_set")
def test_probe_text(examples: Path, tmp_path: Path) -> None:
    proc = lfr("probe", str(examples / "obama2.jpg"), home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "1 face(s)" in proc.stdout and "quality=" in proc.stdout


def _bad_files(tmp_path: Path) -> dict[str, Path]:
    jpeg = encode(gradient(128, 128), "mjpeg", "yuvj420p")
    files = {
        "truncated": (tmp_path / "truncated.jpg", jpeg[: len(jpeg) // 2]),
        "empty": (tmp_path / "empty.jpg", b""),
        "random": (tmp_path / "random.jpg", os.urandom(2048)),
    }
    for path, data in files.values():
        path.write_bytes(data)
    out = {k: v[0] for k, v in files.items()}
    out["directory"] = tmp_path / "a_dir.jpg"
    out["directory"].mkdir()
    out["huge"] = huge_png(tmp_path / "huge.png")
    return out


@pytest.mark.usefixtures("model_set")
@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("truncated", "truncated JPEG"),
        ("empty", "empty file"),
        ("random", "not a supported image"),
        ("directory", "is a directory"),
        ("huge", "20000x20000"),
    ],
)
def test_probe_bad_input_fails_cleanly_and_writes_nothing(
    tmp_path: Path, kind: str, message: str
) -> None:
    bad = _bad_files(tmp_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    proc = lfr("probe", str(bad[kind]), home=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("lfr: error:") and message in proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # no LFR_HOME, no output file


@pytest.mark.usefixtures("model_set")
def test_probe_mixed_batch_reports_each(examples: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty.jpg"
    empty.write_bytes(b"")
    proc = lfr("probe", "--json", str(examples / "obama.jpg"), str(empty), home=tmp_path)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert len(doc["images"][0]["faces"]) == 1 and "empty file" in doc["images"][1]["error"]
    assert "empty file" in proc.stderr


@pytest.mark.usefixtures("model_set")
def test_eval_pairs_meets_acceptance(sample_data: Path, tmp_path: Path) -> None:
    """The acceptance bar: >= 0.99 at the default threshold on the shared PAIRS.tsv, no failures."""
    proc = lfr(
        "eval",
        "pairs",
        str(sample_data / "PAIRS.tsv"),
        "--root",
        str(sample_data),
        "--json",
        home=tmp_path,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert {
        "pairs",
        "accuracy",
        "threshold",
        "tar_at_far",
        "failures",
        "best_threshold",
        "roc_auc",
    } <= set(doc)
    assert doc["pairs"] == 322 and doc["failures"] == []
    assert doc["threshold"] == pytest.approx(0.363)
    assert doc["accuracy"] >= 0.99
    assert doc["roc_auc"] > 0.99 and doc["tar_at_far"]["1e-2"] > 0.95


@pytest.mark.usefixtures("model_set")
def test_eval_counts_failures(sample_data: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text(
        "a\tb\tsame\n"
        "face_recognition/examples/obama.jpg\tface_recognition/examples/obama2.jpg\t1\n"
        "face_recognition/examples/obama.jpg\tinsightface/python-package/insightface/data/images/mask_blue.jpg\t0\n"
        "face_recognition/examples/obama.jpg\tno/such/file.jpg\t0\n"
    )
    proc = lfr("eval", "pairs", str(pairs), "--root", str(sample_data), "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)
    assert doc["pairs"] == 3 and doc["evaluated"] == 1 and len(doc["failures"]) == 2
    reasons = " ".join(f["reason"] for f in doc["failures"])
    assert "no face found" in reasons and "no such file" in reasons


@pytest.mark.usefixtures("model_set")
def test_eval_rejects_malformed_pairs_file(sample_data: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("a\tb\tsame\nx.jpg\ty.jpg\tmaybe\n")
    proc = lfr("eval", "pairs", str(pairs), "--root", str(sample_data), home=tmp_path)
    assert proc.returncode == 1 and "pairs.tsv:2" in proc.stderr


def test_models_list_json(tmp_path: Path, model_set) -> None:
    proc = lfr("models", "list", "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert [r["role"] for r in rows] == ["detector", "embedder"]
    assert all(r["status"] == "ok" for r in rows)
    proc = lfr("models", "verify", home=tmp_path)
    assert proc.returncode == 0 and proc.stdout.count(": ok") == 2


@pytest.mark.usefixtures("model_set")
def test_eval_with_no_usable_pair_is_valid_json(sample_data: Path, tmp_path: Path) -> None:
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("a\tb\tsame\nno/such/a.jpg\tno/such/b.jpg\t1\n")
    proc = lfr("eval", "pairs", str(pairs), "--root", str(sample_data), "--json", home=tmp_path)
    assert proc.returncode == 0, proc.stderr
    doc = json.loads(proc.stdout)  # strict JSON: no NaN tokens
    assert doc["accuracy"] is None and doc["evaluated"] == 0 and len(doc["failures"]) == 1
