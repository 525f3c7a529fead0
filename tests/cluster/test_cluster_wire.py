"""The cluster's messages: what an edge sends decodes to the same alert at the hub, and every
kind of hostile message is one clear `ClusterMessageError` (never a traceback)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from lfr.cluster import wire
from lfr.config import ConfigError, parse_config
from lfr.store.alerts import Alert

KEY = b"k" * 32
ALERT = Alert(
    alert_id="a1",
    seq=7,
    camera="door",
    ts=1.5,
    watchlist="wl",
    watchlist_hash="h",
    identity="p1",
    score=0.7,
    threshold=0.4,
    track_id=3,
    latency_ms=12.0,
    run_id="r",
    status="raised",
    adjudicated_by=None,
    adjudicated_at=None,
    note=None,
    recorded_at=2.0,
    revision=1,
    previous_identity="p0",
    revised_at=1.9,
    site="van-3",
    crop_jpeg=b"\xff\xd8crop",
)


def _decode(
    data: bytes, *, subject: str = "lfr.alerts.van-3", key: bytes | None = None, headers=None
):
    return wire.decode_alert(
        data, subject=subject, sites=["van-3", "van-4"], key=key, headers=headers
    )


def test_an_alert_survives_the_trip_with_its_site_and_crop() -> None:
    data = wire.encode_alert(ALERT, "Label")
    assert _decode(data) == ALERT
    assert wire.alert_msg_id(ALERT) == "a1:1"
    assert json.loads(data)["alert"]["site"] == "van-3"  # the one serializer's shape inside


def test_another_major_version_is_refused_by_name() -> None:
    body = json.loads(wire.encode_alert(ALERT, None))
    with pytest.raises(wire.SchemaVersionError, match=r"schema 2\.0 is not supported.*1\.0"):
        _decode(json.dumps({**body, "schema": "2.0"}).encode())
    assert _decode(json.dumps({**body, "schema": "1.7", "later": 1}).encode()) == ALERT


@pytest.mark.parametrize(
    ("change", "subject", "why"),
    [
        ({"site": "van-9"}, "lfr.alerts.van-9", "unknown site"),
        ({"site": "van-4"}, "lfr.alerts.van-3", "another site's subject"),
        ({"kind": "verdict"}, "lfr.alerts.van-3", "expected a 'alert'"),
        ({"alert": {"seq": "x"}}, "lfr.alerts.van-3", "expected"),
        ({"crop_jpeg_b64": "!!"}, "lfr.alerts.van-3", "not base64"),
        ({"schema": None}, "lfr.alerts.van-3", "no schema version"),
    ],
)
def test_hostile_alerts_are_refused(change: dict, subject: str, why: str) -> None:
    body = {**json.loads(wire.encode_alert(ALERT, None)), **change}
    with pytest.raises(wire.ClusterMessageError, match=why):
        _decode(json.dumps(body).encode(), subject=subject)


def test_with_signing_on_only_a_good_signature_passes() -> None:
    data = wire.encode_alert(ALERT, None)
    assert _decode(data, key=KEY, headers=wire.sign(KEY, data)) == ALERT
    with pytest.raises(wire.ClusterMessageError, match="unsigned"):
        _decode(data, key=KEY, headers={})
    with pytest.raises(wire.ClusterMessageError, match="bad signature"):
        _decode(data, key=KEY, headers=wire.sign(b"x" * 32, data))
    with pytest.raises(wire.ClusterMessageError, match="not JSON"):
        _decode(b"\xff\x00")


def test_a_revision_keeps_its_identity_fields() -> None:
    older = replace(ALERT, revision=0, previous_identity=None, revised_at=None)
    assert _decode(wire.encode_alert(older, None)).revision == 0


@pytest.mark.parametrize(
    ("cluster", "error"),
    [
        ({"role": "edge"}, "cluster.site: is required"),
        ({"role": "hub"}, "cluster.sites: a hub needs"),
        ({"role": "edge", "site": "van.3"}, "cluster.site: must be"),
        ({"role": "spoke", "site": "a"}, "cluster.role: must be one of"),
        ({"role": "edge", "site": "a", "url": "http://x"}, "cluster.url"),
        ({"role": "edge", "site": "a", "token_file": "/nonexistent"}, "cluster.token_file"),
    ],
)
def test_the_cluster_section_names_the_key_to_fix(cluster: dict, error: str) -> None:
    with pytest.raises(ConfigError, match=error):
        parse_config({"cluster": cluster})


def test_a_hub_has_no_cameras(tmp_path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    camera = {"id": "c", "url": str(clip), "watchlist": "wl"}
    with pytest.raises(ConfigError, match="cameras: a hub"):
        parse_config({"cluster": {"role": "hub", "sites": ["a"]}, "cameras": [camera]})
