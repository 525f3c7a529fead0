"""Console benchmark: 20 event-stream clients (the live page's server-sent events, not
browsers) while alerts arrive at 100 alerts/s, against a real daemon analysing the Hamilton
clip on one camera.

Reported: delivery latency to the clients (p50/p99, from the alert's capture time to the
client reading its event), whether every client saw every alert once in seq order, the
pipeline's analysed fps with and without the clients (interleaved phases, same run: the
peer), and the daemon's resident memory over a soak with the clients open.

The daemon (with its console) runs in this process; alerts are injected the daemon's way
(stored first, then published on its hub), in both phases, so the only difference between
them is the clients. The camera's watchlist names nobody in the clip: the pipeline does all
its work (detect, track, embed, search) and raises nothing of its own. The clients run in a
second process (`--role clients`) so they do not share this interpreter.

    python benches/bench_console.py [--phase-s 30] [--rounds 2] [--soak-s 600] [--out FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import trio
import trio.lowlevel

from lfr.paths import sample_data_dir

if TYPE_CHECKING:
    from lfr.daemon import Daemon
    from lfr.store import Store

PASSWORD = "bench password 0123"
CLIENTS = 20
RATE = 100.0  # alerts per second


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def prepare(home: Path) -> None:
    from lfr.inference import FaceAnalyzer
    from lfr.store import Store
    from lfr.watchlist.enrol import enrol

    data = sample_data_dir()
    assert data is not None, "set LFR_SAMPLE_DATA"
    with Store.open(home) as store:
        # A threshold nobody in the clip reaches: every face is searched, none alerts.
        store.watchlists.create("nobody-here", actor="bench", purpose="bench", threshold=0.95)
        photo = data / "face_recognition/examples/obama.jpg"
        enrol(store, FaceAnalyzer.create(threads=1), "nobody-here", "x", [photo], actor="bench")
        store.users.add("bench", "officer", PASSWORD, actor="bench")


async def inject(daemon: Daemon, store: Store, stop: trio.Event) -> int:
    """Alerts at RATE per second, persisted then published (as the alert actor does)."""
    from lfr.store import AlertRecord

    assert daemon.console is not None
    api = daemon.console.ctx.daemon
    n, t0 = 0, time.monotonic()
    while not stop.is_set():
        record = AlertRecord("bench", time.time(), "nobody-here", "h" * 64, "x", 0.6, 0.4, n)
        alert = await trio.to_thread.run_sync(store.alerts.record, record)
        assert daemon.alert_feed is not None
        daemon.alert_feed.offer(api.wire(alert))  # in seq order, as the alert actor does
        n += 1
        await trio.sleep(max(0.0, t0 + n / RATE - time.monotonic()))
    return n


def analysed(daemon: Daemon) -> int:
    camera = daemon.camera("cam")
    return camera.snapshot().analysis.frames_analysed if camera is not None else 0


async def phase(daemon: Daemon, seconds: float) -> dict[str, float]:
    """The camera's analysed fps over `seconds`, and this process's CPU seconds per second
    (less sensitive than fps to other work on a shared machine)."""
    before, cpu0, t0 = analysed(daemon), time.process_time(), time.monotonic()
    await trio.sleep(seconds)
    wall = time.monotonic() - t0
    return {
        "fps": round((analysed(daemon) - before) / wall, 2),
        "cpu": round((time.process_time() - cpu0) / wall, 3),
    }


async def run_bench(args: argparse.Namespace, home: Path) -> dict[str, Any]:
    from lfr.config import parse_config
    from lfr.daemon import Daemon
    from lfr.store import Store

    clip = sample_data_dir() / "face_recognition/examples/short_hamilton_clip.mp4"  # type: ignore[operator]
    cfg = parse_config(
        {
            "daemon": {"data_dir": str(home)},
            "logging": {"level": "WARNING"},
            "console": {"listen": "127.0.0.1:0"},
            "cameras": [{"id": "cam", "url": str(clip), "watchlist": "nobody-here", "loop": True}],
        }
    )
    daemon = Daemon(cfg, handle_signals=False, announce=lambda _l: None)
    out: dict[str, Any] = {"without": [], "with": [], "rss_mib": []}
    store = Store.open(home, check=False)
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        assert daemon.console is not None
        url = daemon.console.url
        stop = trio.Event()
        nursery.start_soon(inject, daemon, store, stop)
        await trio.sleep(5)  # warm-up: the camera reaches its steady rate
        for _ in range(args.rounds):
            out["without"].append(await phase(daemon, args.phase_s))
            async with clients(url, args.phase_s + 1) as done:
                out["with"].append(await phase(daemon, args.phase_s))
            out.setdefault("delivery", []).append(done)
        async with clients(url, args.soak_s + 5) as done:
            t0 = time.monotonic()
            while time.monotonic() - t0 < args.soak_s:
                out["rss_mib"].append((round(time.monotonic() - t0), round(rss_mib(), 1)))
                await trio.sleep(min(10, args.soak_s))
        out["soak_delivery"] = done
        stop.set()
        daemon.request_stop()
    store.close()
    return out


class clients:
    """The client process for `seconds`; its summary lands in the dict it yields."""

    def __init__(self, url: str, seconds: float) -> None:
        self.url, self.seconds = url, seconds
        self.result: dict[str, Any] = {}

    async def __aenter__(self) -> dict[str, Any]:
        """Returns once every client has logged in and opened its stream (the logins' scrypt
        is not in what a phase measures)."""
        self.out = Path(tempfile.mkstemp(suffix=".json")[1])
        command = [sys.executable, __file__, "--role", "clients", "--url", self.url]
        command += ["--seconds", str(self.seconds), "--out", str(self.out)]
        self.proc = await trio.lowlevel.open_process(command)
        ready = self.out.with_suffix(".ready")
        with trio.fail_after(120):
            while not ready.exists():
                await trio.sleep(0.1)
        ready.unlink()
        return self.result

    async def __aexit__(self, *exc: object) -> None:
        await self.proc.wait()
        self.result.update(json.loads(self.out.read_text()))
        self.out.unlink()


# --- the client process ----------------------------------------------------------------------


EVENT = re.compile(rb'"alert_id":"[^"]+","seq":(\d+),.*?"ts":([0-9.]+)')


async def one_client(
    url: str, seconds: float, lat: list[float], seqs: list[int], opened: trio.Semaphore
) -> None:
    """Logs in like the page, then reads the event stream off a raw socket, matching each
    alert's seq and capture time with one regex per read: a client far cheaper than a browser
    (or httpx) per event, so the machine's cores go to the daemon being measured."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        form = (await client.get("/login")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', form)
        assert token
        done = await client.post(
            "/login", data={"name": "bench", "password": PASSWORD, "csrf_token": token[1]}
        )
        assert done.status_code == 303, done.text
        cookie = client.cookies["lfr_session"]
    host, port = url.removeprefix("http://").rsplit(":", 1)
    stream = await trio.open_tcp_stream(host, int(port))
    request = (
        f"GET /api/events HTTP/1.1\r\nHost: {host}\r\nCookie: lfr_session={cookie}\r\n"
        "Accept: text/event-stream\r\n\r\n"
    )
    await stream.send_all(request.encode())
    opened.release()
    buffer = b""
    with trio.move_on_after(seconds):
        while True:
            data = await stream.receive_some(65536)
            if not data:
                break
            now = time.time()
            buffer += data
            cut = buffer.rfind(b"\n\n")
            if cut < 0:
                continue
            for seq, ts in EVENT.findall(buffer, 0, cut):
                lat.append(now - float(ts))
                seqs.append(int(seq))
            buffer = buffer[cut + 2 :]
    await stream.aclose()


async def run_clients(url: str, seconds: float, ready: Path) -> dict[str, Any]:
    lats: list[list[float]] = [[] for _ in range(CLIENTS)]
    seqs: list[list[int]] = [[] for _ in range(CLIENTS)]
    opened = trio.Semaphore(CLIENTS, max_value=CLIENTS)
    for _ in range(CLIENTS):
        await opened.acquire()
    async with trio.open_nursery() as nursery:
        for i in range(CLIENTS):
            nursery.start_soon(one_client, url, seconds, lats[i], seqs[i], opened)
        for _ in range(CLIENTS):
            await opened.acquire()
        ready.write_text("ready")
    flat = sorted(x for lat in lats for x in lat)
    in_order = all(s == sorted(set(s)) for s in seqs)
    # Only the injector raises alerts, so each client's seqs must be contiguous.
    gaps = sum(s[-1] - s[0] + 1 - len(s) for s in seqs if s)
    return {
        "clients": CLIENTS,
        "events": len(flat),
        "per_client": [len(s) for s in seqs],
        "once_in_order": in_order,
        "missing": gaps,
        "p50_ms": round(1000 * flat[len(flat) // 2], 2) if flat else None,
        "p99_ms": round(1000 * flat[int(len(flat) * 0.99)], 2) if flat else None,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--role", default="bench", choices=("bench", "clients"))
    parser.add_argument("--url")
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--phase-s", type=float, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--soak-s", type=float, default=600)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.role == "clients":
        os.nice(10)  # the pipeline first: what is measured is the daemon's cost of serving
        summary = trio.run(run_clients, args.url, args.seconds, args.out.with_suffix(".ready"))
        args.out.write_text(json.dumps(summary))
        return 0
    with tempfile.TemporaryDirectory(prefix="lfr-bench-console-") as tmp:
        home = Path(tmp) / "home"
        prepare(home)
        result = trio.run(run_bench, args, home)
    without = sum(p["fps"] for p in result["without"]) / len(result["without"])
    with_ = sum(p["fps"] for p in result["with"]) / len(result["with"])
    cpu_without = sum(p["cpu"] for p in result["without"]) / len(result["without"])
    cpu_with = sum(p["cpu"] for p in result["with"]) / len(result["with"])
    rss = [m for _t, m in result["rss_mib"]]
    from machine import describe

    summary = {
        "machine": describe(),
        "analysed_fps_without": round(without, 2),
        "analysed_fps_with": round(with_, 2),
        "slowdown_pct": round(100 * (1 - with_ / without), 2),
        "daemon_cpu_without": round(cpu_without, 3),
        "daemon_cpu_with": round(cpu_with, 3),
        "rss_first_last_max_mib": [rss[0], rss[-1], max(rss)] if rss else None,
        **result,
    }
    text = json.dumps(summary, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main())
