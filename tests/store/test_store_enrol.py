"""Enrolment with the real models and the real sample media: the one-face rule and quality
gate, the look-alike check, model provenance at load, a real probe found in the gallery, and
SIGKILL during a large `watchlist add`."""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from store_helpers import cli_env, templates

from lfr.pipeline.gallery import load_watchlist
from lfr.store import ModelMismatch, Store
from lfr.watchlist.enrol import EnrolmentRefused, assess_photo, enrol

OBAMA = "face_recognition/examples/obama.jpg"
OBAMA_PROBE = "face_recognition/examples/knn_examples/test/obama1.jpg"
OBAMA_OTHER = "face_recognition/examples/obama2.jpg"
BIDEN = "face_recognition/examples/biden.jpg"
TWO_PEOPLE = "face_recognition/examples/two_people.jpg"


def _manifest(sample_data: Path, identity: str) -> list[Path]:
    with (sample_data / "MANIFEST.tsv").open(newline="") as fh:
        rows = csv.DictReader(fh, delimiter="\t")
        return [sample_data / r["path"] for r in rows if r["identity"] == identity]


def test_group_shots_are_refused_with_reason(analyzer: Any, sample_data: Path) -> None:
    groups = _manifest(sample_data, "group")
    assert len(groups) >= 5
    for path in groups:
        outcome = assess_photo(analyzer, path)
        assert not hasattr(outcome, "template"), f"{path} was accepted"
        assert any("faces found" in r for r in outcome.reasons), (path, outcome.reasons)


def test_no_face_images_are_refused_with_reason(analyzer: Any, sample_data: Path) -> None:
    empty = _manifest(sample_data, "no-face")
    assert len(empty) >= 3
    for path in empty:
        outcome = assess_photo(analyzer, path)
        assert getattr(outcome, "reasons", None) == ["no face found"], path


def test_unreadable_file_is_refused(analyzer: Any, tmp_path: Path) -> None:
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"\xff\xd8\xff\xe0 truncated")
    outcome = assess_photo(analyzer, bad)
    assert outcome.reasons[0].startswith("not a usable image")


def test_largest_face_of_a_group_shot(analyzer: Any, sample_data: Path) -> None:
    outcome = assess_photo(analyzer, sample_data / TWO_PEOPLE, largest=True)
    assert getattr(outcome, "faces_found", 0) >= 2, getattr(outcome, "reasons", None)
    assert outcome.template.shape == (analyzer.dim,)


def test_enrol_then_find_the_probe(
    store: Store, analyzer: Any, sample_data: Path, use_analyzer: Any, cli
) -> None:
    assert cli("watchlist", "create", "op", "--expires", "1d").code == 0
    result = cli(
        "watchlist",
        "add",
        "op",
        "--id",
        "obama",
        "--label",
        "Barack Obama",
        "--category",
        "wanted",
        str(sample_data / OBAMA),
    )
    assert result.code == 0, result.err
    assert "accepted" in result.err
    tpl = store.watchlists.templates("op")
    assert len(tpl) == 1 and tpl[0].model_id == analyzer.model_id
    assert tpl[0].thumbnail_jpeg and tpl[0].thumbnail_jpeg[:2] == b"\xff\xd8"
    assert tpl[0].quality is not None and 0 <= tpl[0].quality <= 1
    loaded = load_watchlist(store.watchlists, "op", analyzer.model_id)
    assert loaded.labels == {"obama": "Barack Obama"}
    from lfr.imageio import load_image

    img = load_image(sample_data / OBAMA_PROBE)
    faces = analyzer.detect(img)
    probe = analyzer.templates(img, faces[:1])
    ids, scores = loaded.gallery.search(np.ascontiguousarray(probe, dtype=np.float32), 1)
    assert ids[0] == ["obama"] and scores[0][0] >= analyzer.default_threshold
    again = cli("watchlist", "add", "op", "--id", "obama", str(sample_data / OBAMA))
    assert again.code != 0 and "already enrolled" in again.err
    group = cli("watchlist", "add", "op", "--id", "x", str(sample_data / TWO_PEOPLE))
    assert group.code != 0 and "faces found" in group.err and "--largest" in group.err
    assert store.watchlists.get("op").templates == 1


def test_lookalike_needs_force(
    store: Store, analyzer: Any, sample_data: Path, use_analyzer: Any, cli
) -> None:
    store.watchlists.create("op", actor="t")
    assert cli("watchlist", "add", "op", "--id", "obama", str(sample_data / OBAMA)).code == 0
    before = store.watchlists.get("op").content_hash
    result = cli("watchlist", "add", "op", "--id", "someone-else", str(sample_data / OBAMA_OTHER))
    assert result.code != 0
    assert "look-alike" in result.err and "'obama'" in result.err and "--force" in result.err
    assert store.watchlists.get("op").content_hash == before
    forced = cli(
        "watchlist", "add", "op", "--id", "someone-else", "--force", str(sample_data / OBAMA_OTHER)
    )
    assert forced.code == 0 and "warning" in forced.err and "'obama'" in forced.err
    # a different person is no look-alike
    biden = cli("watchlist", "add", "op", "--id", "biden", str(sample_data / BIDEN))
    assert biden.code == 0 and "warning" not in biden.err


def test_other_model_templates_refused_at_load(store: Store, analyzer: Any) -> None:
    store.watchlists.create("op", actor="t")
    store.watchlists.add("op", "p", templates(1, model="sface-2019+00000000"), actor="t")
    with pytest.raises(ModelMismatch, match="re-enrol"):
        load_watchlist(store.watchlists, "op", analyzer.model_id)


def test_one_refused_photo_enrols_nothing_unless_skipped(
    store: Store, analyzer: Any, sample_data: Path
) -> None:
    store.watchlists.create("op", actor="t")
    photos = [sample_data / OBAMA, sample_data / TWO_PEOPLE]
    with pytest.raises(EnrolmentRefused, match="1 photo\\(s\\) refused"):
        enrol(store, analyzer, "op", "obama", photos, actor="t")
    assert store.watchlists.get("op").templates == 0
    result = enrol(store, analyzer, "op", "obama", photos, actor="t", skip_refused=True)
    assert len(result.accepted) == 1 and len(result.refused) == 1
    assert store.watchlists.get("op").templates == 1


def test_kill_during_large_add_leaves_all_or_none(home: Path, sample_data: Path) -> None:
    photos = [p for p in _manifest(sample_data, "angelina_jolie")]
    assert len(photos) >= 6
    Store.open(home).close()
    with Store.open(home) as store:
        store.watchlists.create("op", actor="t")
        empty_hash = store.watchlists.get("op").content_hash
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lfr.cli.admin",
            "watchlist",
            "add",
            "op",
            "--id",
            "aj",
            "--skip-refused",
            "--largest",
            *map(str, photos),
        ],
        env=cli_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    seen = 0
    deadline = time.monotonic() + 300
    while seen < len(photos) and time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line:
            break
        seen += line.startswith(("accepted ", "refused "))
    alive = proc.poll() is None
    if alive:  # every photo assessed: the process is now writing (or about to)
        os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    assert seen == len(photos), "the add never reached its write phase"
    with Store.open(home) as store:
        assert store.db.integrity_check() == ["ok"]
        assert store.audit.verify().ok
        info = store.watchlists.get("op")
        assert info.content_hash == store.watchlists.recompute_hash("op")
        adds = store.audit.records(action_prefix="watchlist.add")
        print(f"SIGKILL {'while alive' if alive else 'too late'}: {info.templates} templates")
        if info.templates == 0:
            assert info.content_hash == empty_hash and adds == []
        else:  # the commit won the race: all of the add is there, and audited once
            assert len(adds) == 1 and adds[0].details["templates_added"] == info.templates
            assert adds[0].details["new_hash"] == info.content_hash
