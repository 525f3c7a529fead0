"""`lfr scan --watchlist` against the data dir of a running daemon: the scan's alerts take seqs
in the daemon's store, and the daemon's subscribers get them, live and on resume, once each."""

from __future__ import annotations

import os
from pathlib import Path

import trio
from pipeline_helpers import LFR

from lfr.client import Endpoint, open_client
from lfr.config import parse_config
from lfr.daemon import Daemon

CLIP = "face_recognition/examples/short_hamilton_clip.mp4"  # one alert: Lin-Manuel Miranda


async def _scan(home: Path, clip: Path) -> None:
    done = await trio.run_process(
        [*LFR, "scan", str(clip), "--watchlist", "wl", "--json"],
        env={**os.environ, "LFR_HOME": str(home)},
        capture_stdout=True,
        capture_stderr=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode()


async def test_scan_alerts_reach_live_and_resuming_subscribers_once(
    home: Path, sample_data: Path, live_analyzer
) -> None:
    cfg = parse_config({"daemon": {"data_dir": str(home)}, "socket": {"alert_poll_s": 0.2}})
    daemon = Daemon(cfg, handle_signals=False, analyzer=live_analyzer, announce=lambda _l: None)
    clip = sample_data / CLIP
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        assert daemon.endpoints is not None and daemon.endpoints.unix_path is not None
        endpoint = Endpoint(unix=daemon.endpoints.unix_path)
        async with open_client(endpoint) as live:
            await live.subscribe(["alerts"])  # live only: no replay can hide a missing event
            await _scan(home, clip)
            with trio.fail_after(10):
                first = await live.next_event()
            assert first.data["identity"] == "lin-manuel-miranda"
            assert first.data["camera"].startswith("scan:")
        await _scan(home, clip)  # while nobody listens
        async with open_client(endpoint) as resumed:
            await resumed.subscribe(["alerts"], since_seq=first.seq)
            with trio.fail_after(10):
                replayed = await resumed.next_event()
            await _scan(home, clip)  # and live again
            with trio.fail_after(10):
                again = await resumed.next_event()
            with trio.move_on_after(1.0) as quiet:
                extra = await resumed.next_event()
            assert quiet.cancelled_caught, f"delivered twice: {extra}"
        assert [first.seq, replayed.seq, again.seq] == [1, 2, 3]
        assert len({first.data["alert_id"], replayed.data["alert_id"], again.data["alert_id"]}) == 3
        assert (
            daemon.alert_feed is not None and daemon.alert_feed.filled == 3
        )  # all from the other process, read from the store
        daemon.request_stop()
