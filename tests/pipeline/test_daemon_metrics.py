"""A live daemon's `/metrics` and `--trace`: what Prometheus and Grafana read, and the trace of
its first seconds."""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path

import pytest
import trio
from daemon_helpers import collect_alerts, wait_for
from prometheus_client.parser import text_string_to_metric_families

from lfr.client import Endpoint, open_client
from lfr.config import ConfigError, parse_config
from lfr.daemon import Daemon
from lfr.daemon.tracing import TraceOptions
from lfr.http import bind, parse_listen
from support.traces import assert_spans_nest, read_trace

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana-dashboard.json"

# Every name the issue lists, with its type (counters as the parser names the family).
EXPECTED = {
    "lfr_frames_decoded": "counter",
    "lfr_frames_analysed": "counter",
    "lfr_frames_dropped": "counter",
    "lfr_frames_skipped": "counter",
    "lfr_faces_detected": "counter",
    "lfr_templates_computed": "counter",
    "lfr_templates_shed": "counter",
    "lfr_stage_seconds": "histogram",
    "lfr_glass_to_decision_seconds": "histogram",
    "lfr_glass_to_alert_seconds": "histogram",
    "lfr_alerts": "counter",
    "lfr_verdicts": "counter",
    "lfr_camera_state": "gauge",
    "lfr_camera_reconnects": "counter",
    "lfr_actor_restarts": "counter",
    "lfr_socket_clients": "gauge",
    "lfr_socket_lagged": "counter",
    "lfr_watchlist_templates": "gauge",
    "lfr_build_info": "gauge",
}
STAGES = {"decode", "queue", "detect", "track", "embed", "match", "persist", "publish"}


def _daemon(home: Path, clip: Path, analyzer, **extra) -> Daemon:
    cfg = parse_config(
        {
            "daemon": {"data_dir": str(home)},
            "tracker": {"cooldown_s": 1.0},
            "cameras": [{"id": "gate", "url": str(clip), "watchlist": "wl", "loop": True}],
            "metrics": {"listen": "127.0.0.1:0"},
        }
    )
    return Daemon(cfg, handle_signals=False, analyzer=analyzer, announce=lambda _l: None, **extra)


def _scrape(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/plain; version=0.0.4")
        return resp.read().decode()


async def test_a_live_daemon_serves_every_metric_and_the_dashboard_finds_them(
    home: Path, hamilton_clip: Path, live_analyzer, tmp_path: Path
) -> None:
    trace_path = tmp_path / "daemon.trace.json"
    daemon = _daemon(
        home, hamilton_clip, live_analyzer, trace=TraceOptions(trace_path, seconds=3.0)
    )
    alerts: list = []
    stopped = trio.Event()

    async def run_daemon(task_status: trio.TaskStatus[Daemon]) -> None:
        await daemon.run(task_status=task_status)
        stopped.set()

    async with trio.open_nursery() as nursery:
        await nursery.start(run_daemon)
        await nursery.start(collect_alerts, daemon, alerts)
        await wait_for(lambda: alerts, 30, "an alert")
        async with open_client(Endpoint(unix=daemon.endpoints.unix_path), name="t") as client:
            await client.alert_adjudicate(alerts[0].data["alert_id"], "confirmed", by="officer-1")
            assert daemon.metrics is not None
            text = await trio.to_thread.run_sync(_scrape, daemon.metrics.url + "/metrics")
        await wait_for(trace_path.exists, 10, "the trace written after 3 s")
        daemon.request_stop()
        await stopped.wait()
        nursery.cancel_scope.cancel()  # the alert follower would reconnect for ever

    families = {f.name: f for f in text_string_to_metric_families(text)}
    assert {name: families[name].type for name in EXPECTED if name in families} == EXPECTED
    samples = {s.name: s for f in families.values() for s in f.samples}

    def value(name: str, **labels: str) -> float:
        found = [
            s.value
            for f in families.values()
            for s in f.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        ]
        assert len(found) == 1, (name, labels, found)
        return found[0]

    # Counted where they happen, read as they are: frames, faces, alerts, verdicts.
    assert value("lfr_frames_analysed_total", camera="gate") > 0
    assert value("lfr_frames_decoded_total", camera="gate") >= value(
        "lfr_frames_analysed_total", camera="gate"
    )
    assert value("lfr_faces_detected_total", camera="gate") > 0
    assert value("lfr_alerts_total", camera="gate", watchlist="wl") >= 1
    assert value("lfr_verdicts_total", verdict="confirmed") == 1
    assert value("lfr_camera_state", camera="gate", state="live") == 1
    assert value("lfr_camera_state", camera="gate", state="failed") == 0
    assert value("lfr_watchlist_templates", watchlist="wl") == 1
    assert value("lfr_socket_clients") >= 1  # the alert follower, at least
    assert value("lfr_actor_restarts_total", actor="metrics") == 0
    info = samples["lfr_build_info"].labels
    assert set(info) == {"version", "detector", "embedder", "onnxruntime", "simd"}
    assert info["simd"] in ("scalar", "avx2", "avx512", "neon")
    # Every stage of a frame and of its alert has a histogram, buckets from 1 ms to 2 s.
    stages = {
        s.labels["stage"]
        for s in families["lfr_stage_seconds"].samples
        if s.name.endswith("_count")
    }
    assert stages == STAGES
    buckets = sorted(
        float(s.labels["le"])
        for s in families["lfr_glass_to_alert_seconds"].samples
        if s.name.endswith("_bucket") and s.labels["le"] != "+Inf"
    )
    assert buckets[0] == 0.001 and buckets[-1] == 2.0
    assert value("lfr_glass_to_alert_seconds_count", camera="gate") == value(
        "lfr_alerts_total", camera="gate", watchlist="wl"
    )

    # The dashboard uses these names, and only names a live daemon serves.
    exprs = [t["expr"] for p in json.loads(DASHBOARD.read_text())["panels"] for t in p["targets"]]
    used = {name for expr in exprs for name in re.findall(r"\blfr_[a-z_]+", expr)}
    assert used - set(samples) == set()
    assert {re.sub(r"_(total|bucket|sum|count)$", "", n) for n in used} >= set(EXPECTED)

    # The trace of the first 3 s: every analysed frame has its stages, spans nest.
    trace = read_trace(json.loads(trace_path.read_text()))
    # (a live camera's frames the analysis did not take in time were dropped: decode only)
    analysed = {k: f for k, f in trace.frames.items() if "analyse" in f.spans}
    assert len(analysed) > 5
    for key, frame in analysed.items():
        assert {"decode", "analyse", "detect", "track"} <= set(frame.spans), key
    assert all(set(f.spans) == {"decode"} for k, f in trace.frames.items() if k not in analysed)
    assert assert_spans_nest(trace.events) == 2
    first, last = (
        min(e["ts"] for e in trace.events if e["ph"] == "X"),
        max(e["ts"] for e in trace.events if e["ph"] == "X"),
    )
    assert last - first < 3.5e6  # tracing stopped after its seconds


def test_a_remote_metrics_address_is_refused_at_start_naming_the_key(home: Path) -> None:
    data = {"daemon": {"data_dir": str(home)}, "metrics": {"listen": "0.0.0.0:9108"}}
    with pytest.raises(ConfigError, match=r"^metrics\.listen: .*metrics\.allow_remote = true"):
        parse_config(data)
    data["metrics"]["allow_remote"] = True
    assert parse_config(data).metrics is not None


async def test_a_taken_metrics_port_stops_the_start_naming_the_key(
    home: Path, hamilton_clip: Path, live_analyzer
) -> None:
    taken = bind(parse_listen("127.0.0.1:0"))
    try:
        port = taken.getsockname()[1]
        cfg = parse_config(
            {"daemon": {"data_dir": str(home)}, "metrics": {"listen": f"127.0.0.1:{port}"}}
        )
        daemon = Daemon(cfg, handle_signals=False, analyzer=live_analyzer, announce=print)
        with pytest.raises(
            ConfigError, match=rf"^metrics\.listen: cannot listen on 127\.0\.0\.1:{port}"
        ):
            await daemon.run()
    finally:
        taken.close()
