"""The `lfr._native.Tracker` contract: defaults, outputs, accepted array forms, the alert
flow, and bad input -> ValueError that leaves the tracker unchanged."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from lfr._native import AlertEvent, Tracker

CONTRACT_DEFAULTS = {
    "match_threshold": 0.363,
    "min_hits": 2,
    "cooldown_s": 30.0,
    "n_init": 2,
    "max_age_s": 1.0,
    "high_score": 0.6,
    "low_score": 0.3,
    "iou_threshold": 0.3,
    "reembed_interval_s": 2.0,
    "growth_ratio": 1.3,
}


def frame(*xs: float, size: float = 60.0) -> tuple[Any, Any, Any]:
    """One face per x position, all in one row, score 0.9."""
    boxes = np.array([[x, 100, x + size, 100 + size] for x in xs], np.float32).reshape(-1, 4)
    scores = np.full(len(xs), 0.9, np.float32)
    landmarks = np.zeros((len(xs), 10), np.float32)
    return boxes, scores, landmarks


def unit(seed: int, dim: int = 128) -> npt.NDArray[np.float32]:
    v = np.random.default_rng(seed).standard_normal(dim)
    return (v / np.linalg.norm(v)).astype(np.float32)


def test_constructor_defaults_are_the_contract() -> None:
    cfg = Tracker().config()
    for key, value in CONTRACT_DEFAULTS.items():
        assert math.isclose(cfg[key], value, rel_tol=1e-6), key


def test_track_is_born_after_n_init_hits_and_embedded_once_at_birth() -> None:
    t = Tracker()
    ids, embed = t.update(0.0, *frame(100))
    assert ids.dtype == np.int64 and embed.dtype == np.bool_
    assert ids.tolist() == [-1] and embed.tolist() == [False], "tentative: no id yet"
    ids, embed = t.update(0.1, *frame(104))
    assert ids.tolist() == [1] and embed.tolist() == [True]
    ids, embed = t.update(0.2, *frame(108))
    assert ids.tolist() == [1] and embed.tolist() == [False], "probe interval not reached"
    assert t.active_tracks() == 1
    stats = t.stats()
    assert (stats["updates"], stats["detections"], stats["tracks_started"]) == (3, 3, 1)
    assert stats["embeds_requested"] == 1


def test_empty_frame_and_low_scores() -> None:
    t = Tracker(n_init=1)
    ids, embed = t.update(
        0.0, np.zeros((0, 4), np.float32), np.zeros(0, np.float32), np.zeros((0, 10), np.float32)
    )
    assert ids.shape == (0,) and embed.shape == (0,)
    boxes, _, lms = frame(100, 300)
    ids, _ = t.update(0.1, boxes, np.array([0.9, 0.2], np.float32), lms)
    assert ids[0] >= 1 and ids[1] == -1, "below low_score belongs to no track"


def test_other_array_forms_give_the_same_answer() -> None:
    boxes, scores, lms = frame(100, 300)
    a, b = Tracker(n_init=1), Tracker(n_init=1)
    ref = a.update(0.0, boxes, scores, lms)
    wide = np.zeros((2, 8), np.float32)
    wide[:, ::2] = boxes  # a strided, non-contiguous view
    got = b.update(0.0, wide[:, ::2], scores.astype(np.float64).tolist(), lms.reshape(2, 5, 2))
    assert ref[0].tolist() == got[0].tolist() and ref[1].tolist() == got[1].tolist()


def test_alert_once_then_update_on_a_better_match() -> None:
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    tid, tpl = int(ids[0]), unit(1)
    assert t.observe(tid, 0.0, tpl, ["alice", "bob"], np.array([0.5, 0.1], np.float32)) == []
    events = t.observe(tid, 0.1, tpl, ["alice"], [0.45])
    assert len(events) == 1
    ev = events[0]
    assert isinstance(ev, AlertEvent)
    assert (ev.kind, ev.track_id, ev.identity, ev.hits, ev.ts) == ("alert", tid, "alice", 2, 0.1)
    assert math.isclose(ev.score, 0.5, rel_tol=1e-6), "the alert carries the best score so far"
    assert "alice" in repr(ev)
    with pytest.raises(AttributeError):
        ev.score = 1.0  # type: ignore[misc]
    assert t.observe(tid, 0.2, tpl, ["alice"], [0.52]) == [], "not better by update_margin"
    (upd,) = t.observe(tid, 0.3, tpl, ["alice"], [0.7])
    assert (upd.kind, upd.hits) == ("alert_update", 4)
    stats = t.stats()
    assert (stats["alerts"], stats["alert_updates"]) == (1, 1)


def test_gallery_padding_is_accepted() -> None:
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    scores = np.array([0.6, -np.inf, -np.inf], np.float32)  # fewer identities than k
    assert t.observe(int(ids[0]), 0.0, unit(2), ["alice"], scores) == []
    with pytest.raises(ValueError, match="-inf"):
        t.observe(int(ids[0]), 0.0, unit(2), ["alice"], [0.6, 0.5])


BAD_UPDATES: list[tuple[str, float, Any]] = [
    ("backwards", 0.5, frame(100)),
    ("nan ts", math.nan, frame(100)),
    ("nan box", 2.0, (np.array([[np.nan, 0, 10, 10]], np.float32), *frame(1)[1:])),
    ("negative size", 2.0, (np.array([[50, 0, 10, 10]], np.float32), *frame(1)[1:])),
    ("nan score", 2.0, (frame(1)[0], np.array([np.nan], np.float32), frame(1)[2])),
    ("boxes width", 2.0, (np.zeros((1, 3), np.float32), *frame(1)[1:])),
    ("scores length", 2.0, (frame(1)[0], np.ones(2, np.float32), frame(1)[2])),
    ("landmarks", 2.0, (*frame(1)[:2], np.zeros((1, 8), np.float32))),
]


@pytest.mark.parametrize(("case", "ts", "args"), BAD_UPDATES, ids=[c[0] for c in BAD_UPDATES])
def test_bad_update_is_a_value_error_and_changes_nothing(case: str, ts: float, args: Any) -> None:
    t = Tracker()
    for i in range(10):
        t.update(i * 0.1, *frame(100 + i))
    before = t.stats()
    with pytest.raises(ValueError):
        t.update(ts, *args)
    assert t.stats() == before
    ids, _ = t.update(1.0, *frame(110))
    assert ids.tolist() == [1], "still tracking the same face"


def test_bad_observe_is_a_value_error() -> None:
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    tid = int(ids[0])
    t.observe(tid, 0.0, unit(1), ["a"], [0.1])
    bad: list[tuple[Any, ...]] = [
        (99, 0.0, unit(1), ["a"], [0.1]),  # never issued
        (tid, math.nan, unit(1), ["a"], [0.1]),
        (tid, 0.0, unit(1, 64), ["a"], [0.1]),  # dimension changed
        (tid, 0.0, np.full(128, np.nan, np.float32), ["a"], [0.1]),
        (tid, 0.0, unit(1), ["a", "b"], [0.1]),
        (tid, 0.0, unit(1).reshape(2, 64), ["a"], [0.1]),
    ]
    for args in bad:
        with pytest.raises(ValueError):
            t.observe(*args)


@pytest.mark.parametrize(
    "kwargs",
    [{"min_hits": 0}, {"low_score": 0.9}, {"max_age_s": -1.0}, {"iou_threshold": math.nan}],
)
def test_invalid_settings_are_value_errors(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        Tracker(**kwargs)  # type: ignore[arg-type]


def test_templates_in_update_gate_association() -> None:
    """With templates given, a detection that looks like someone else is not the track's."""
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    t.observe(int(ids[0]), 0.0, unit(1), [], [])
    same, other = unit(1)[None, :], unit(2)[None, :]
    ids_same, _ = t.update(0.1, *frame(102), templates=same)
    ids_other, _ = t.update(0.2, *frame(104), templates=other)
    assert ids_same.tolist() == [1]
    assert ids_other.tolist() == [2], "a stranger in the same place starts a new track"
