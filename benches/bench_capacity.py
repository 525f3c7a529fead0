"""How many live 720p cameras one box keeps at 10 analysed fps, measured the hard way.

Every camera plays the Hamilton clip scaled to 1280x720 (29.97 fps), looped and paced in real
time (file cameras, `loop = true`: no RTSP encoder competes for the cores), analysis capped at
10 fps, a one-person watchlist (Miranda) and `[tracker] cooldown_s = 1`, so every pass of every
camera raises an alert. The daemon is the real `lfr-run` process; the figures are what its
socket reports (`lfr status`): analysed frames per camera over the window, glass-to-alert
percentiles; plus the alerts of the window (alerts.jsonl: who, how many, their latency), the
daemon's resident memory, and the CPU its threads and everyone else's jobs used meanwhile.

    python benches/bench_capacity.py --cameras 12 [--seconds 60] [--warmup 20]
        [--set models.threads=1 ...] [--source CHECKOUT] [--sample-every 60] [--out FILE]
        [--trace FILE] [--stagger]

`--cameras 3,4,6` runs one daemon per count, in turn. `--source DIR` runs another checkout's
`python/` (e.g. the code before a change) with this venv and its native extension. A camera
keeps up when it analyses >= 9.5 fps; the run keeps up when every camera does and p99
glass-to-alert (over the window's alerts) is under 150 ms.

By default every camera plays the same file from its start, so all of them see the same people
at the same instant and raise their alerts in the same tenth of a second: the worst case, a
burst of every camera's embeddings at once. `--stagger` starts camera k's copy of the clip k/n
of the way through (re-encoded alike), as a site's cameras see passers-by at different moments.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from machine import describe
from procstat import CpuSample, cpu_between, rss_mib

ROOT = Path(__file__).resolve().parents[1]
CACHE = Path(tempfile.gettempdir()) / "lfr-capacity"


def nearest_rank(values: list[float], q: float) -> float | None:
    """The q-th percentile by nearest rank (always a value that occurred); None when empty."""
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def _p(values: list[float], q: float) -> float | None:
    found = nearest_rank(values, q)
    return None if found is None else round(found, 1)


def prepared_media() -> tuple[Path, Path]:
    """(720p clip, a home with watchlist `wl` = Miranda), made once and cached."""
    from bench_pipeline import prepare_home, upscale_720p
    from lfr.paths import sample_data_dir

    sample = sample_data_dir()
    assert sample is not None, "set LFR_SAMPLE_DATA"
    ex = sample / "face_recognition/examples"
    CACHE.mkdir(exist_ok=True)
    clip, home = CACHE / "hamilton720.mp4", CACHE / "home"
    if not clip.exists():
        upscale_720p(ex / "short_hamilton_clip.mp4", clip)
    if not home.exists():
        prepare_home(home, ex / "lin-manuel-miranda.png")
    return clip, home


def rotated_clips(clip: Path, n: int) -> list[Path]:
    """`n` copies of `clip`, the k-th starting k/n of the way through it (and wrapping round),
    encoded like the clip (x264 veryfast, a key frame every 25): cameras that see the same
    passers-by at different moments, as a site's cameras do, instead of all at once."""
    import av

    out = [CACHE / f"hamilton720-{k:02d}of{n:02d}.mp4" for k in range(n)]
    if all(path.exists() for path in out):
        return out
    with av.open(str(clip)) as src:
        rate = src.streams.video[0].average_rate
        frames = [f.to_ndarray(format="yuv420p") for f in src.decode(video=0)]
    for k, path in enumerate(out):
        if path.exists():
            continue
        start = k * len(frames) // n
        tmp = path.with_suffix(".part.mp4")
        with av.open(str(tmp), "w") as dst:
            enc = dst.add_stream("libx264", rate=rate, options={"preset": "veryfast", "g": "25"})
            enc.width, enc.height, enc.pix_fmt = 1280, 720, "yuv420p"
            for i, plane in enumerate(frames[start:] + frames[:start]):
                frame = av.VideoFrame.from_ndarray(plane, format="yuv420p")
                frame.pts = i
                dst.mux(enc.encode(frame))
            dst.mux(enc.encode())
        tmp.rename(path)
    return out


def _toml(value: str) -> str:
    try:
        float(value)
        return value
    except ValueError:
        return value if value in ("true", "false") else json.dumps(value)


def write_config(path: Path, home: Path, clips: list[Path], sets: list[str]) -> None:
    sections: dict[str, list[str]] = {
        "daemon": [f"data_dir = {json.dumps(str(home))}"],
        "tracker": ["cooldown_s = 1"],
        "logging": ['level = "WARNING"'],
    }
    for item in sets:
        key, _, value = item.partition("=")
        section, _, name = key.partition(".")
        sections.setdefault(section, []).append(f"{name} = {_toml(value)}")
    lines = []
    for section, body in sections.items():
        lines += [f"[{section}]", *body, ""]
    for i, clip in enumerate(clips):
        lines += [
            "[[cameras]]",
            f'id = "cam{i:02d}"',
            f"url = {json.dumps(str(clip))}",
            'watchlist = "wl"',
            "fps = 10",
            "loop = true",
            "",
        ]
    path.write_text("\n".join(lines))


def _status(sock: Path) -> dict:
    from lfr.client import Client, Endpoint

    with Client.connect(Endpoint(unix=sock), name="bench-capacity") as client:
        return client.status()


def _wait_ready(sock: Path, n: int, proc: subprocess.Popen, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"lfr-run exited with {proc.returncode}")
        try:
            cams = _status(sock)["cameras"]
            if len(cams) == n and all(c["state"] == "LIVE" for c in cams):
                return
        except Exception:  # noqa: BLE001 - not listening yet
            pass
        time.sleep(0.5)
    raise TimeoutError("cameras not LIVE")


def _window_alerts(sock: Path, t0: float, t1: float) -> list[dict]:
    """The alerts raised on frames shown between t0 and t1 (wall clock)."""
    from lfr.client import Client, Endpoint

    rows: list[dict] = []
    with Client.connect(Endpoint(unix=sock), name="bench-capacity") as client:
        while batch := client.alerts_list(since_seq=rows[-1]["seq"] if rows else 0, limit=500):
            rows += batch
    return [r for r in rows if t0 <= r["ts"] < t1]  # each alert once, as revised last


def _analysed_fps(s0: dict, s1: dict, span: float) -> list[float]:
    before = {c["id"]: c["analysed"] for c in s0["cameras"]}
    return [round((c["analysed"] - before[c["id"]]) / span, 2) for c in s1["cameras"]]


def _interval(n: int, rss: tuple[float, float], a: tuple, b: tuple) -> dict:
    """One sampling interval of a long run: memory, the cameras' rates, who used the CPU."""
    span = b[2] - a[2]
    fps = _analysed_fps(a[0], b[0], span)
    cpu = cpu_between(a[1], b[1], span)
    return {
        "n": n,
        "t_s": rss[0],
        "rss_mib": rss[1],
        "analysed_fps_min": min(fps),
        "analysed_fps_mean": round(statistics.fmean(fps), 2),
        "lfr_cores": cpu["process_cores"],
        "others_cores": cpu["others_cores"],
    }


def run_one(args: argparse.Namespace, n: int, clip: Path, base_home: Path) -> dict:
    work = Path(tempfile.mkdtemp(prefix=f"lfr-cap{n}-"))
    home = work / "home"
    shutil.copytree(base_home, home)
    cfg = work / "lfr.toml"
    clips = rotated_clips(clip, n) if args.stagger else [clip] * n
    write_config(cfg, home, clips, args.set)
    env = dict(os.environ)
    if args.source:
        env["PYTHONPATH"] = str(Path(args.source).resolve() / "python")
    log = (work / "daemon.log").open("w")
    cmd = [sys.executable, "-m", "lfr.cli.run", "--config", str(cfg)]
    if args.trace:  # the warm-up and the first 30 s of the window
        seconds = args.warmup + min(args.seconds, 30.0) + 15.0  # + the daemon's start-up
        cmd += ["--trace", str(args.trace.resolve()), "--trace-seconds", str(seconds)]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, env=env)
    sock = home / "lfr.sock"
    load_before = os.getloadavg()
    try:
        _wait_ready(sock, n, proc)
        time.sleep(args.warmup)
        s0, c0, wall0, t0 = _status(sock), CpuSample.take(proc.pid), time.time(), time.monotonic()
        rss = [(0.0, rss_mib(proc.pid))]
        end = t0 + args.seconds
        prev = (s0, c0, t0)
        while (now := time.monotonic()) < end:
            time.sleep(min(args.sample_every, end - now))
            rss.append((round(time.monotonic() - t0, 1), round(rss_mib(proc.pid), 1)))
            if args.sample_every < args.seconds:  # a long run: how each interval went
                point = (_status(sock), CpuSample.take(proc.pid), time.monotonic())
                print(json.dumps(_interval(n, rss[-1], prev, point)), flush=True)
                prev = point
        s1, c1, wall1, t1 = _status(sock), CpuSample.take(proc.pid), time.time(), time.monotonic()
        alerts = _window_alerts(sock, wall0, wall1)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    span = t1 - t0
    before = {c["id"]: c for c in s0["cameras"]}
    cams = {}
    for c in s1["cameras"]:
        b = before[c["id"]]
        cams[c["id"]] = {
            "analysed_fps": round((c["analysed"] - b["analysed"]) / span, 2),
            "decoded_fps": round((c["frames"] - b["frames"]) / span, 2),
            "dropped": c["dropped"] - b["dropped"],
            "status_fps_analysed": c["fps_analysed"],
            "status_glass_to_alert_p99": (c.get("glass_to_alert_ms") or {}).get("p99"),
        }
    lat = [a["latency_ms"] for a in alerts if a["latency_ms"] is not None]
    per_cam_alerts = {cid: sum(a["camera"] == cid for a in alerts) for cid in cams}
    fps = [c["analysed_fps"] for c in cams.values()]
    work_done = {
        k: s1["counts"][k] - s0["counts"][k]
        for k in ("frames_decoded", "frames_analysed", "faces", "templates")
    }
    g2a_p99 = _p(lat, 99)
    row_cpu = cpu_between(c0, c1, span)
    row = {
        "cameras": n,
        "settings": args.set,
        "stagger": args.stagger,
        "source": args.source or "this checkout",
        "seconds": round(span, 1),
        "analysed_fps_min": min(fps),
        "analysed_fps_mean": round(statistics.fmean(fps), 2),
        "glass_to_alert_ms": {"p50": _p(lat, 50), "p99": g2a_p99, "max": _p(lat, 100)},
        "status_glass_to_alert_ms": (s1.get("latency_ms") or {}).get("glass_to_alert"),
        "status_latency_ms": s1.get("latency_ms"),
        "cpu_ms_per_analysed_frame": round(
            row_cpu["process_cores"] * span * 1e3 / max(1, work_done["frames_analysed"]), 2
        ),
        "faces_per_frame": round(work_done["faces"] / max(1, work_done["frames_analysed"]), 2),
        "templates_per_frame": round(
            work_done["templates"] / max(1, work_done["frames_analysed"]), 3
        ),
        "alerts": len(alerts),
        "alerts_per_camera": f"{min(per_cam_alerts.values())}-{max(per_cam_alerts.values())}",
        "identities": sorted({a["identity"] for a in alerts}),
        "rss_mib": rss[-1][1],
        "rss_mib_per_camera": round(rss[-1][1] / n, 1),
        "rss_series": rss,
        "cpu": row_cpu,
        "load_before": [round(v, 2) for v in load_before],
        "load_after": [round(v, 2) for v in os.getloadavg()],
        "per_camera": cams,
    }
    row["keeps_up"] = min(fps) >= 9.5 and g2a_p99 is not None and g2a_p99 < 150.0
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    return row


def table(path: Path) -> str:
    """The rows of a `--out` file as a Markdown table."""
    lines = [
        "| cameras | phase | code | settings | analysed fps min / mean | glass-to-alert p50 / p99 ms "
        "(alerts) | CPU ms per analysed frame | cores: lfr / others | RSS MiB (per camera) "
        "| keeps up |",
        "|---:|---|---|---|---|---|---:|---|---|---|",
    ]
    for line in path.read_text().splitlines():
        r = json.loads(line)
        g = r["glass_to_alert_ms"]
        code = "before" if r["source"] != "this checkout" else "after"
        lines.append(
            f"| {r['cameras']} | {'staggered' if r.get('stagger') else 'in phase'} | {code} "
            f"| {' '.join(r['settings']) or 'defaults'} "
            f"| {r['analysed_fps_min']} / {r['analysed_fps_mean']} "
            f"| {g['p50']} / {g['p99']} ({r['alerts']}, {r['alerts_per_camera']} per camera, "
            f"{'+'.join(r['identities']) or '-'}) | {r['cpu_ms_per_analysed_frame']} "
            f"| {r['cpu']['process_cores']} / {r['cpu']['others_cores']} "
            f"| {r['rss_mib']:.0f} ({r['rss_mib_per_camera']}) | {'yes' if r['keeps_up'] else 'no'} |"
        )
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cameras", default="12", help="camera counts, comma-separated")
    ap.add_argument("--seconds", type=float, default=60.0, help="measured window per count")
    ap.add_argument("--warmup", type=float, default=20.0)
    ap.add_argument("--set", action="append", default=[], help="config key, e.g. models.threads=1")
    ap.add_argument("--source", default=None, help="another checkout whose python/ to run")
    ap.add_argument("--sample-every", type=float, default=10.0, help="RSS sampling period (s)")
    ap.add_argument(
        "--stagger",
        action="store_true",
        help="camera k plays the clip from k/n of the way through (default: all in phase)",
    )
    ap.add_argument("--keep", action="store_true", help="keep the daemon's folder (log)")
    ap.add_argument(
        "--trace", type=Path, default=None, help="lfr-run --trace FILE (see trace_stages.py)"
    )
    ap.add_argument("--out", type=Path, default=None, help="append JSON lines here")
    ap.add_argument("--table", type=Path, default=None, help="print an --out file as Markdown")
    args = ap.parse_args()
    if args.table:
        print(table(args.table))
        return
    clip, home = prepared_media()
    print(json.dumps({"cpu": describe(), "load": os.getloadavg()}), flush=True)
    for n in (int(v) for v in args.cameras.split(",")):
        row = run_one(args, n, clip, home)
        brief = {k: v for k, v in row.items() if k not in ("per_camera", "rss_series")}
        print(json.dumps(brief), flush=True)
        if args.out:
            with args.out.open("a") as fh:
                fh.write(json.dumps(row) + "\n")


if __name__ == "__main__":
    main()
