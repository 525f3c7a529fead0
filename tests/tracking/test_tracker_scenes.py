"""Scenes with known truth through the bindings: stable ids, one alert per person per pass,
cooldown across a broken track, and the fraction of faces the schedule embeds."""

from __future__ import annotations

import pytest
from tracker_scene import Scene, walk


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_crossing_people_keep_their_ids_and_alert_once(seed: int) -> None:
    s = Scene(seed)
    alice = s.person("alice", True, walk(60, 240, 110, 0, 80, 0, 5))
    bob = s.person("bob", True, walk(580, 250, -110, 0, 80, 0, 5))
    carol = s.person("carol", False, walk(300, 80, 0, 20, 90, 0, 5))
    o = s.run()
    for p in (alice, bob, carol):
        assert len(o.tracks_of(p)) == 1 and o.switches(p) == 0, o.ids[p]
    assert o.tracks_of(alice) != o.tracks_of(bob)
    assert (o.alerts(alice), o.alerts(bob), o.alerts(carol)) == (1, 1, 0)
    assert {e.identity for e in o.events[alice]} == {"alice"}
    assert o.stats["tracks_started"] == 3


def test_occlusion_of_half_a_second_keeps_one_track() -> None:
    s = Scene(5)
    path = walk(60, 200, 100, 0, 80, 0, 5)
    p = s.person("alice", True, lambda t: None if 2.0 <= t < 2.5 else path(t))
    o = s.run()
    assert len(o.tracks_of(p)) == 1
    assert o.alerts(p) == 1


@pytest.mark.parametrize(("gap", "alerts", "suppressed"), [(5.0, 1, 1), (12.0, 2, 0)])
def test_reentry_within_and_after_cooldown(gap: float, alerts: int, suppressed: int) -> None:
    s = Scene(7, duration=6 + gap, cooldown_s=10.0)
    first = walk(60, 200, 100, 0, 80, 0, 3)
    second = walk(60, 200, 100, 0, 80, 3 + gap, 6 + gap)
    p = s.person("alice", True, lambda t: first(t) or second(t))
    o = s.run()
    assert len(o.tracks_of(p)) == 2, "a new pass after max_age is a new track"
    assert o.alerts(p) == alerts
    assert o.stats["suppressed_by_cooldown"] == suppressed


def test_schedule_embeds_about_one_face_in_five_at_10_fps() -> None:
    s = Scene(3, duration=10)
    for i in range(8):
        s.person(f"p{i}", i % 4 == 0, walk(30, 60 + 50 * i, 60, 0, 60, 0.5 * i, 0.5 * i + 6))
    o = s.run()
    ratio = o.embeds / o.detections
    assert 0.05 < ratio < 0.25, ratio
    assert o.stats["embeds_requested"] == o.embeds
    assert o.stats["detections"] == o.detections
