"""The pure parts of a camera source: backoff with jitter, the fps cap, URL classification,
and how a camera from the config is opened."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from lfr.config import parse_config
from lfr.kernel import MailboxPolicy
from lfr.stream import Backoff, InputKind, RateCap, classify, open_camera


def test_backoff_grows_exponentially_to_a_cap_with_bounded_jitter() -> None:
    b = Backoff(initial_s=0.5, maximum_s=10.0, factor=2.0, jitter=0.25)
    rng = random.Random(7)
    for attempt, base in [(0, 0.5), (1, 1.0), (3, 4.0), (5, 10.0), (50, 10.0)]:
        delays = [b.delay(attempt, rng) for _ in range(200)]
        assert base * 0.75 <= min(delays) and max(delays) <= base * 1.25
        assert max(delays) - min(delays) > base * 0.2  # jittered: cameras do not sync up


def test_rate_cap_spaces_frames_evenly() -> None:
    cap = RateCap(10.0)
    times = [i / 29.97 for i in range(300)]  # 10 s of a 29.97 fps camera
    admitted = [t for t in times if cap.admit(t)]
    assert 99 <= len(admitted) <= 101
    gaps = [b - a for a, b in itertools.pairwise(admitted)]
    # Evenly spaced on average (not 15 fps then 5 fps), never two source frames apart less.
    assert min(gaps) > 0.1 - 1 / 29.97 and abs(sum(gaps) / len(gaps) - 0.1) < 0.002
    assert RateCap(None).admit(0.0) and RateCap(None).admit(0.0)


def test_rate_cap_restarts_after_a_gap_instead_of_bursting() -> None:
    cap = RateCap(5.0)
    assert cap.admit(0.0)
    assert cap.admit(10.0)  # long pause (a reconnect)
    assert not cap.admit(10.1)  # no burst of "owed" frames
    assert cap.admit(10.2)


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("rtsp://10.0.0.5:554/stream1", InputKind.RTSP),
        ("rtsps://cam.example/live", InputKind.RTSP),
        ("http://127.0.0.1:8080/video.mjpg", InputKind.HTTP),
        ("https://example.org/live/index.m3u8", InputKind.HTTP),
        ("/dev/video0", InputKind.DEVICE),
        ("/no/such/clip.mp4", InputKind.FILE),
    ],
)
def test_classify(url: str, kind: InputKind) -> None:
    assert classify(url) is kind


def test_classify_a_folder(tmp_path: Path) -> None:
    assert classify(str(tmp_path)) is InputKind.FOLDER
    assert not InputKind.FOLDER.live and InputKind.DEVICE.live


def test_a_config_camera_is_live_even_for_a_file(tmp_path: Path) -> None:
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"")
    cfg = parse_config(
        {
            "cameras": [
                {"id": "door", "url": str(clip), "watchlist": "w", "fps": 4},
                {"id": "scan", "url": str(clip), "watchlist": "w", "realtime": False},
                {
                    "id": "gate",
                    "url": "rtsp://127.0.0.1:1/cam",
                    "watchlist": "w",
                    "read_timeout_s": 0.5,
                },
            ]
        }
    )
    door, scan, gate = (open_camera(cam) for cam in cfg.cameras)
    assert door.name == "door" and door.spec.fps == 4.0 and door.spec.realtime
    assert door.frames.policy is MailboxPolicy.KEEP_LATEST
    assert scan.frames.policy is MailboxPolicy.BLOCK and scan.every_frame
    assert gate.spec.read_timeout_s == 0.5 and gate.stall_after_s == 0.25
    assert open_camera(cfg.cameras[0], camera_id="other", fps=2).spec.fps == 2.0


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("rtsp://u:s3cret@10.0.0.5:554/x", "rtsp://***@10.0.0.5:554/x"),
        ("Connection refused: 'rtsp://u:s3cret@h/x'", "Connection refused: 'rtsp://***@h/x'"),
        ("rtsp://admin:p@ss@h/x", "rtsp://***@h/x"),  # an unencoded "@" in the password
        (
            "http://cam/video.cgi?user=admin&pwd=s3cret&res=1",
            "http://cam/video.cgi?user=admin&pwd=***&res=1",
        ),
        ("rtsp://10.0.0.5/live@1", "rtsp://10.0.0.5/live@1"),  # an "@" in the path is no secret
        ("/srv/clips/door.mp4", "/srv/clips/door.mp4"),
    ],
)
def test_redact_hides_credentials_only(text: str, shown: str) -> None:
    from lfr.stream import redact

    assert redact(text) == shown


def test_a_camera_shows_its_url_without_credentials() -> None:
    source = open_camera("rtsp://u:s3cret@127.0.0.1:1/x", camera_id="gate")
    assert source.spec.url == "rtsp://u:s3cret@127.0.0.1:1/x"  # kept for opening
    assert source.spec.shown_url == "rtsp://***@127.0.0.1:1/x"
    assert "s3cret" not in repr(source.spec) and "s3cret" not in repr(source)
    with pytest.raises(ValueError, match="bad port") as bad:
        classify("rtsp://u:s3cret@127.0.0.1:99999/x")
    assert "s3cret" not in str(bad.value)


async def test_connection_errors_name_the_camera_without_credentials() -> None:
    import trio

    from lfr.stream import CameraState

    source = open_camera("rtsp://u:s3cret@127.0.0.1:1/x", camera_id="gate")
    async with trio.open_nursery() as nursery:
        await nursery.start(source.run)
        with trio.fail_after(5):
            await source.wait_state(CameraState.BACKOFF)
        nursery.cancel_scope.cancel()
    assert "refused" in (source.last_error or "").lower()
    assert "rtsp://***@127.0.0.1:1/x" in (source.last_error or "")
    assert "s3cret" not in str((source.last_error, source.counters(), source))
