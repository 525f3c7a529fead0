"""Enrolment at the sizes police lists have: the look-alike check at the watchlist's effective
threshold for its size after the enrolment, and bulk enrolment from a list of photos."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from store_helpers import cli_env, templates

from lfr.store import Store
from lfr.store.watchlists import IdentityUpdate, NewTemplate
from lfr.watchlist.enrol import Candidate, EnrolmentRefused, assess_photo, enrol
from support.terminal import run_on_terminal

OBAMA = "face_recognition/examples/obama.jpg"
OBAMA2 = "face_recognition/examples/obama2.jpg"
BIDEN = "face_recognition/examples/biden.jpg"
MIRANDA = "face_recognition/examples/lin-manuel-miranda.png"
TWO_PEOPLE = "face_recognition/examples/two_people.jpg"


def _twin(template: np.ndarray, score: float, analyzer: Any) -> IdentityUpdate:
    """An enrolled identity whose template scores exactly `score` against `template`."""
    other = np.random.default_rng(7).standard_normal(template.shape).astype(np.float32)
    other -= (other @ template) * template
    other /= np.linalg.norm(other)
    v = (score * template + np.sqrt(1 - score**2) * other).astype(np.float32)
    return IdentityUpdate("twin", (NewTemplate(v, analyzer.model_id, "ab" * 32),))


def _fillers(n: int, analyzer: Any) -> list[IdentityUpdate]:
    return [
        IdentityUpdate(f"f{i}", tuple(templates(1, seed=500 + i, model=analyzer.model_id)))
        for i in range(n)
    ]


def test_lookalike_check_uses_the_threshold_at_the_new_size(
    store: Store, analyzer: Any, sample_data: Path
) -> None:
    """A stranger at 0.48 is a look-alike on a 3-person list (threshold ~0.46) but not on a
    1,000-person one (~0.55), where that score is what strangers commonly reach; the fixed
    0.363 refused him on both, and so refused Lin-Manuel Miranda on a 1,000-person list."""
    photo = sample_data / OBAMA
    cand = assess_photo(analyzer, photo)
    assert isinstance(cand, Candidate)
    for name, fillers in (("small", 1), ("large", 998)):
        store.watchlists.create(name, actor="t")
        store.watchlists.add_many(
            name, [_twin(cand.template, 0.48, analyzer), *_fillers(fillers, analyzer)], actor="t"
        )
    with pytest.raises(
        EnrolmentRefused, match=r"look-alike.*0\.480 against identity 'twin'.*at 3 templates"
    ):
        enrol(store, analyzer, "small", "obama", [photo], actor="t")
    result = enrol(store, analyzer, "large", "obama", [photo], actor="t")
    assert result.lookalikes == [] and result.content_hash is not None
    assert store.watchlists.get("large").identities == 1000


def test_bulk_enrolment_from_a_list(
    store: Store, use_analyzer: Any, sample_data: Path, tmp_path: Path, cli
) -> None:
    listing = tmp_path / "list.tsv"
    listing.write_text(
        "path\tidentity\tsha256\n"
        f"{OBAMA}\tobama\tx\n{OBAMA2}\tobama\tx\n{BIDEN}\tbiden\tx\n"
        f"{TWO_PEOPLE}\tgroup\tx\n{MIRANDA}\tnot-miranda\tx\n{MIRANDA}\tmiranda\tx\n"
    )

    def add_list(*extra: str) -> Any:
        return cli(
            "watchlist", "add", "op", "--from-tsv", str(listing), "--root", str(sample_data), *extra
        )

    assert cli("watchlist", "create", "op").code == 0
    before = store.audit.records()
    refused = add_list()
    assert (
        refused.code != 0 and "several faces 1" in refused.err and "nothing enrolled" in refused.err
    )
    assert store.watchlists.get("op").templates == 0 and store.audit.records() == before
    result = add_list("--skip-refused")
    assert result.code == 0, result.err
    # One photo of one person under two names: the later name is refused as a look-alike.
    assert "refused 2 photo(s): several faces 1, look-alike 1" in result.err
    assert "\r" not in result.err  # no progress bar when stderr is not a terminal
    assert "enrolled 4 template(s) of 3 identities" in result.out
    assert sorted(i.identity_id for i in store.watchlists.identities("op")) == [
        "biden",
        "not-miranda",
        "obama",
    ]
    record = store.audit.records(action_prefix="watchlist.add")[-1]
    assert record.details["templates_added"] == 4 and record.details["photos_refused"] == 2
    assert record.details["refusals_by_reason"] == {"several faces": 1, "look-alike": 1}
    again = add_list("--skip-refused")
    assert again.code != 0 and "no photo passed" in again.err  # all enrolled already


def test_bulk_enrolment_draws_a_progress_bar_on_a_terminal(
    home: Path, sample_data: Path, tmp_path: Path
) -> None:
    listing = tmp_path / "list.tsv"
    listing.write_text(f"{OBAMA}\tobama\n{BIDEN}\tbiden\n")  # no header row: by position
    env = cli_env(home)
    subprocess.run(
        [sys.executable, "-m", "lfr.cli.admin", "watchlist", "create", "op"],
        env=env,
        check=True,
        capture_output=True,
    )
    code, out, err = run_on_terminal(
        [
            sys.executable,
            "-m",
            "lfr.cli.admin",
            "watchlist",
            "add",
            "op",
            "--from-tsv",
            str(listing),
            "--root",
            str(sample_data),
        ],
        env,
        timeout=120,
    )
    assert code == 0, err
    assert b"\renrol  [" in err and b"2/2" in err and b"accepted 2 refused 0" in err
    assert b"enrolled 2 template(s) of 2 identities" in out


def test_list_errors_are_clear(
    store: Store, use_analyzer: Any, sample_data: Path, tmp_path: Path, cli
) -> None:
    assert cli("watchlist", "create", "op").code == 0
    bad = tmp_path / "bad.tsv"
    bad.write_text("path\tname\nx.jpg\ty\n")
    result = cli("watchlist", "add", "op", "--from-tsv", str(bad), "--root", str(sample_data))
    assert result.code != 0 and "no `identity` column" in result.err
    result = cli("watchlist", "add", "op", "--from-tsv", str(bad))
    assert result.code != 0 and "--root" in result.err
    result = cli("watchlist", "add", "op", "--id", "x")
    assert result.code != 0 and "photos" in result.err
