"""The `lfr._native.Tracker` contract: settings by keyword on top of Rust's defaults, outputs,
accepted array forms, the decision flow through a real `Gallery`, and bad input -> ValueError
(or TypeError) that leaves the tracker unchanged and never a panic."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from lfr._native import AlertEvent, Gallery, Tracker

CONTRACT_DEFAULTS = {
    "min_templates": 3,
    "margin": 0.12,
    "cooldown_s": 30.0,
    "n_init": 2,
    "max_age_s": 1.0,
    "high_score": 0.6,
    "low_score": 0.3,
    "iou_threshold": 0.3,
    "reembed_interval_s": 2.0,
    "growth_ratio": 1.3,
    "probe_interval_s": 0.5,
    "pending_band": 0.05,
    "min_weight": 0.05,
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


def gallery(*names: str) -> Gallery:
    """A watchlist whose identity i is `unit(i + 1)`."""
    g = Gallery(128)
    g.add(list(names), np.stack([unit(i + 1) for i in range(len(names))]))
    return g


def observe(t: Tracker, ts: float, tid: int, tpl: Any, g: Gallery, threshold: float = 0.5):
    return t.observe(ts, [tid], np.asarray(tpl, np.float32)[None, :], [1.0], g, threshold)


def test_defaults_are_rusts_and_the_contract() -> None:
    defaults = Tracker.defaults()
    assert Tracker().config() == defaults
    for key, value in CONTRACT_DEFAULTS.items():
        assert math.isclose(defaults[key], value, rel_tol=1e-6), key
    assert isinstance(defaults["n_init"], int) and isinstance(defaults["margin"], float)


def test_keyword_overrides_sit_on_top_of_the_defaults() -> None:
    cfg = Tracker(n_init=4, iou_threshold=1.0, reembed_interval_s=0).config()
    assert (cfg["n_init"], cfg["iou_threshold"], cfg["reembed_interval_s"]) == (4, 1.0, 0.0)
    assert cfg["margin"] == Tracker.defaults()["margin"]


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"min_hits": 2}, TypeError, r"^tracker\.min_hits: unknown setting \(known: min_templates"),
        ({"n_init": 2.5}, ValueError, r"^tracker\.n_init: must be an integer$"),
        ({"n_init": True}, TypeError, r"^tracker\.n_init: must be a number"),
        ({"margin": "wide"}, TypeError, r"^tracker\.margin: must be a number, got str"),
        ({"min_templates": 0}, ValueError, r"^tracker\.min_templates: must be at least 1$"),
        ({"iou_threshold": 0.0}, ValueError, r"^tracker\.iou_threshold: must be within \(0, 1\]$"),
        ({"low_score": 0.9}, ValueError, r"^tracker\.low_score: must not exceed high_score$"),
        ({"max_age_s": math.nan}, ValueError, r"^tracker\.max_age_s: "),
        ({"n_init": 2**40}, ValueError, r"^tracker\.n_init: "),
    ],
)
def test_bad_settings_name_the_config_key(
    kwargs: dict[str, Any], error: type, message: str
) -> None:
    with pytest.raises(error, match=message):
        Tracker(**kwargs)


def test_track_is_born_after_n_init_hits_and_embedded_while_gathering() -> None:
    t = Tracker()
    ids, embed = t.update(0.0, *frame(100))
    assert ids.dtype == np.int64 and embed.dtype == np.bool_
    assert ids.tolist() == [-1] and embed.tolist() == [False], "tentative: no id yet"
    for i, ts in enumerate((0.1, 0.2, 0.3)):
        ids, embed = t.update(ts, *frame(104 + 4 * i))
        assert ids.tolist() == [1] and embed.tolist() == [True], "gathering: every frame"
        observe(t, ts, 1, unit(99), gallery("alice"))
    ids, embed = t.update(0.4, *frame(120))
    assert embed.tolist() == [False], "three templates, far from anyone: probe interval"
    stats = t.stats()
    assert (stats["updates"], stats["detections"], stats["tracks_started"]) == (5, 5, 1)
    assert stats["embeds_requested"] == 3


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
    a, b, c = Tracker(n_init=1), Tracker(n_init=1), Tracker(n_init=1)
    ref = a.update(0.0, boxes, scores, lms)
    wide = np.zeros((2, 8), np.float32)
    wide[:, ::2] = boxes  # a strided, non-contiguous view
    got = b.update(0.0, wide[:, ::2], scores.astype(np.float64).tolist(), lms.reshape(2, 5, 2))
    assert ref[0].tolist() == got[0].tolist() and ref[1].tolist() == got[1].tolist()
    # Fortran order is contiguous too, but column-major: it must be read row by row.
    fortran = c.update(0.0, np.asfortranarray(boxes), scores, np.asfortranarray(lms))
    assert ref[0].tolist() == fortran[0].tolist()
    again = c.update(0.1, np.asfortranarray(boxes + 2), scores, np.asfortranarray(lms))
    assert again[0].tolist() == ref[0].tolist(), "the same two faces, still tracked"
    # Unaligned memory (a float32 view one byte into a buffer) is copied, not read in place.
    raw = np.zeros(boxes.nbytes + 1, np.uint8)
    raw[1:] = np.frombuffer(boxes.tobytes(), np.uint8)
    unaligned = raw[1:].view(np.float32).reshape(2, 4)
    assert not unaligned.flags.aligned
    d = Tracker(n_init=1)
    assert d.update(0.0, unaligned, scores, lms)[0].tolist() == ref[0].tolist()


def test_one_alert_per_track_then_a_revision_when_the_evidence_moves() -> None:
    g = gallery("alice", "bob")
    t = Tracker(n_init=1, reembed_interval_s=0.0)
    events: list[AlertEvent] = []
    for f in range(40):
        ts = f * 0.1
        ids, embed = t.update(ts, *frame(100))
        if embed[0]:
            # Alice's view turns slowly into bob's.
            a = min(f * 0.05, 1.45)
            tpl = math.cos(a) * unit(1) + math.sin(a) * unit(2)
            got, unmatched = observe(t, ts, int(ids[0]), tpl / np.linalg.norm(tpl), g)
            assert unmatched in (0, 1)
            events += got
    assert [(e.kind, e.identity, e.revision) for e in events] == [
        ("alert", "alice", 0),
        ("alert_update", "bob", 1),
    ]
    first, update = events
    assert isinstance(first, AlertEvent) and "alice" in repr(first)
    assert (first.templates, first.track_started, first.index) == (3, 0.0, 0)
    assert math.isclose(first.ts, 0.2), "three frames from the track's first"
    assert first.previous_identity is None and update.previous_identity == "alice"
    assert update.track_id == first.track_id and first.runner_up is not None
    with pytest.raises(AttributeError):
        first.score = 1.0  # type: ignore[misc]
    stats = t.stats()
    assert (stats["alerts"], stats["revisions"]) == (1, 1)


def test_a_one_identity_watchlist_has_no_runner_up() -> None:
    t = Tracker(n_init=1, min_templates=1)
    ids, _ = t.update(0.0, *frame(100))
    (event,), unmatched = observe(t, 0.0, int(ids[0]), unit(1), gallery("alice"))
    assert event.runner_up is None and unmatched == 0


def test_fused_templates_die_with_their_track() -> None:
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    observe(t, 0.0, int(ids[0]), unit(7), gallery("alice"))
    assert t.tracks_holding_templates() == 1
    t.update(2.0, *frame(400))  # the first face is gone for longer than max_age
    assert t.tracks_holding_templates() == 0, "a passer-by's templates end with the track"
    events, unmatched = observe(t, 2.0, int(ids[0]), unit(7), gallery("alice"))
    assert events == [] and unmatched == 1, "a late template for an ended track is dropped"
    assert t.stats()["observations_dropped"] == 1


def _bad_observations(tid: int, g: Gallery) -> list[tuple[str, tuple[Any, ...]]]:
    one, w = unit(1)[None, :], [1.0]
    return [
        ("never issued", (0.0, [99], one, w, g, 0.5)),
        ("nan ts", (math.nan, [tid], one, w, g, 0.5)),
        ("dim differs from the gallery", (0.0, [tid], unit(1, 64)[None, :], w, g, 0.5)),
        ("nan template", (0.0, [tid], np.full((1, 128), np.nan, np.float32), w, g, 0.5)),
        ("zero template", (0.0, [tid], np.zeros((1, 128), np.float32), w, g, 0.5)),
        ("weights length", (0.0, [tid], one, [1.0, 1.0], g, 0.5)),
        ("negative weight", (0.0, [tid], one, [-1.0], g, 0.5)),
        ("nan weight", (0.0, [tid], one, [math.nan], g, 0.5)),
        ("same track twice", (0.0, [tid, tid], np.vstack([one, one]), [1.0, 1.0], g, 0.5)),
        ("nan threshold", (0.0, [tid], one, w, g, math.nan)),
        ("ids not 1-D", (0.0, [[tid]], one, w, g, 0.5)),
        ("template not 2-D", (0.0, [tid], unit(1), w, g, 0.5)),
    ]


@pytest.mark.parametrize("case", [c[0] for c in _bad_observations(1, Gallery(128))])
def test_bad_observe_is_a_value_error_and_changes_nothing(case: str) -> None:
    g = gallery("alice")
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    tid = int(ids[0])
    observe(t, 0.0, tid, unit(1), g)
    before = (t.stats(), t.tracks_holding_templates())
    args = dict(_bad_observations(tid, g))[case]
    with pytest.raises(ValueError):
        t.observe(*args)
    assert (t.stats(), t.tracks_holding_templates()) == before


def test_observe_needs_a_gallery() -> None:
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    with pytest.raises(TypeError):
        t.observe(0.0, ids, unit(1)[None, :], [1.0], "watchlist", 0.5)  # type: ignore[arg-type]


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


def test_templates_in_update_gate_association() -> None:
    """With templates given, a detection that looks like someone else is not the track's."""
    t = Tracker(n_init=1)
    ids, _ = t.update(0.0, *frame(100))
    observe(t, 0.0, int(ids[0]), unit(1), gallery("alice"))
    same, other = unit(1)[None, :], unit(2)[None, :]
    ids_same, _ = t.update(0.1, *frame(102), templates=same)
    ids_other, _ = t.update(0.2, *frame(104), templates=other)
    assert ids_same.tolist() == [1]
    assert ids_other.tolist() == [2], "a stranger in the same place starts a new track"
