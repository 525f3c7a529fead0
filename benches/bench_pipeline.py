"""Pipeline benchmark (issue: the live daemon). In one run, on this machine:

1. analysed fps on both sample clips, every frame, whole process against whole process:
   `lfr scan` vs `reference_loop.py` (PyAV -> cv2.FaceDetectorYN at lfr's detector input size
   -> cv2.FaceRecognizerSF -> numpy, every face of every frame), same converted models, same
   frames, start-up included (`--before DIR` adds another checkout's lfr to the same rounds);
2. glass-to-decision and glass-to-alert p50/p99 at live pace: one 720p camera (the Hamilton
   clip upscaled, served by the real RTSP server) at a 10 fps analysis cap;
3. how many live 720p cameras at 10 analysed fps the box sustains, in-process and with the
   default 30 s cooldown (the figure before issue 14; `bench_capacity.py` measures it the hard
   way, through the real daemon and `lfr status`).

    python benches/bench_pipeline.py [--quick] [--out FILE] [--repeats N] [--before DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import trio

from machine import describe

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))


def _median(values: list[float]) -> float:
    values = sorted(values)
    return values[len(values) // 2]


def prepare_home(home: Path, enrol: Path) -> None:
    from lfr.inference import FaceAnalyzer
    from lfr.store import Store
    from lfr.watchlist.enrol import enrol as do_enrol

    with Store.open(home) as store:
        store.watchlists.create("wl", actor="bench", purpose="benchmark")
        do_enrol(store, FaceAnalyzer.create(), "wl", "subject", [enrol], actor="bench")


def whole_process(
    clip: Path, enrol: Path, home: Path, repeats: int, before: Path | None = None
) -> dict[str, object]:
    """lfr against the reference loop, interleaved; with `before` (another checkout), that
    checkout's lfr too, in the same rounds."""
    from lfr.paths import models_dir

    env = {**os.environ, "LFR_HOME": str(home)}
    before_env = {**env, "PYTHONPATH": str(before / "python")} if before else None
    ref_cmd = [
        sys.executable,
        str(ROOT / "benches/reference_loop.py"),
        str(clip),
        str(enrol),
        "--models",
        str(models_dir()),
    ]
    lfr_cmd = [
        sys.executable,
        "-m",
        "lfr.cli.admin",
        "scan",
        str(clip),
        "--watchlist",
        "wl",
        "--json",
    ]
    ref_walls, lfr_walls, before_walls, ref_out, lfr_sum = [], [], [], {}, {}
    for _ in range(repeats):  # interleaved, so drifting load hits both alike
        if before_env is not None:
            t0 = time.perf_counter()
            subprocess.run(lfr_cmd, capture_output=True, text=True, check=True, env=before_env)
            before_walls.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        out = subprocess.run(ref_cmd, capture_output=True, text=True, check=True)
        ref_walls.append(time.perf_counter() - t0)
        ref_out = json.loads(out.stdout.strip().splitlines()[-1])
        t0 = time.perf_counter()
        out = subprocess.run(lfr_cmd, capture_output=True, text=True, check=True, env=env)
        lfr_walls.append(time.perf_counter() - t0)
        lfr_sum = json.loads(out.stderr.strip().splitlines()[-1])
    frames = int(ref_out["frames"])
    ref_fps, lfr_fps = frames / _median(ref_walls), lfr_sum["frames_analysed"] / _median(lfr_walls)
    extra = {}
    if before_walls:
        extra = {
            "before_fps": round(frames / _median(before_walls), 1),
            "before_ratio": round(_median(ref_walls) / _median(before_walls), 2),
        }
    return {
        "clip": clip.name,
        "frames": frames,
        "reference_fps": round(ref_fps, 1),
        "lfr_fps": round(lfr_fps, 1),
        "ratio": round(lfr_fps / ref_fps, 2),
        "reference_templates": ref_out["templates"],
        "lfr_templates": lfr_sum["templates"],
        "lfr_alerts": lfr_sum["alerts"],
        "lfr_inner_fps": lfr_sum["fps"],
        "reference_wall_s": round(_median(ref_walls), 2),
        "lfr_wall_s": round(_median(lfr_walls), 2),
        **extra,
    }


def upscale_720p(clip: Path, out: Path) -> Path:
    subprocess.run(
        [
            "ffmpeg",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(clip),
            "-vf",
            "scale=1280:720",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-g",
            "25",
            str(out),
        ],
        check=True,
    )
    return out


async def _live(home: Path, urls: list[str], seconds: float, *, loop: bool) -> dict[str, object]:
    from lfr.config import parse_config
    from lfr.daemon import Daemon

    cams = [
        {"id": f"cam{i}", "url": u, "watchlist": "wl", "fps": 10, "loop": loop}
        for i, u in enumerate(urls)
    ]
    cfg = parse_config(
        {
            "daemon": {"data_dir": str(home)},
            "matching": {"cooldown_s": 1.0},
            "logging": {"level": "WARNING"},
            "cameras": cams,
        }
    )
    daemon = Daemon(cfg, handle_signals=False, announce=lambda _l: None)
    async with trio.open_nursery() as nursery:
        await nursery.start(daemon.run)
        await trio.sleep(3.0)  # warm-up: connect, first frames
        engine, tree = daemon.engine, daemon.tree
        start = {s.camera: (s.analysis.frames_analysed, s.frames_dropped) for s in tree.snapshots()}
        for ctx in engine.cameras.values():
            ctx.latency.reset()  # measure after the warm-up only
        engine.latency.reset()
        await trio.sleep(seconds)
        per_cam = {}
        for cid, ctx in engine.cameras.items():
            done = ctx.counters.frames_analysed - start[cid][0]
            lat = ctx.latency.summary().get("glass_to_decision", {})
            per_cam[cid] = {
                "analysed_fps": round(done / seconds, 2),
                "g2d_p50_ms": round(lat.get("p50", 0), 1),
                "g2d_p99_ms": round(lat.get("p99", 0), 1),
            }
        summary = engine.latency.summary()
        daemon.request_stop()
    return {
        "cameras": per_cam,
        "glass_to_alert": {k: round(v, 1) for k, v in summary.get("glass_to_alert", {}).items()},
        "glass_to_decision": {
            k: round(v, 1) for k, v in summary.get("glass_to_decision", {}).items()
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    ap.add_argument("--repeats", type=int, default=None, help="whole-process rounds (2)")
    ap.add_argument("--before", type=Path, default=None, help="also time this checkout's lfr")
    ap.add_argument(
        "--parts",
        default="whole,live,capacity",
        help="comma-separated subset of whole,live,capacity",
    )
    args = ap.parse_args()
    from lfr.paths import sample_data_dir

    sample = sample_data_dir()
    assert sample is not None, "set LFR_SAMPLE_DATA"
    ex = sample / "face_recognition/examples"
    hamilton, crowd = ex / "short_hamilton_clip.mp4", sample / "facenet-pytorch/examples/video.mp4"
    results: dict[str, object] = {"cpu": describe()}
    with tempfile.TemporaryDirectory(prefix="lfr-bench-") as tmp:
        tmpd = Path(tmp)
        base = tmpd / "base"
        prepare_home(base, ex / "lin-manuel-miranda.png")
        repeats = args.repeats or (1 if args.quick else 2)
        parts = set(args.parts.split(","))
        results["whole_process"] = []
        for clip in (hamilton, crowd) if "whole" in parts else ():
            home = tmpd / f"home-{clip.stem}"
            shutil.copytree(base, home)
            row = whole_process(clip, ex / "lin-manuel-miranda.png", home, repeats, args.before)
            print(json.dumps(row), flush=True)
            results["whole_process"].append(row)  # type: ignore[union-attr]
        clip720 = upscale_720p(hamilton, tmpd / "hamilton720.mp4")
        from support.rtsp import RtspServer, gstreamer_missing

        seconds = 10.0 if args.quick else 25.0
        if "live" in parts and gstreamer_missing() is None:
            server = RtspServer(clip720)
            server.start()
            try:
                home = tmpd / "home-live"
                shutil.copytree(base, home)
                live = trio.run(partial(_live, home, [server.url], seconds, loop=False))
            finally:
                server.close()
            live["source"] = "rtsp 1280x720"
            print(json.dumps({"live_720p": live}), flush=True)
            results["live_720p"] = live
        capacity = []
        for n in range(1, 9) if "capacity" in parts else ():
            home = tmpd / f"home-cap{n}"
            shutil.copytree(base, home)
            row = trio.run(partial(_live, home, [str(clip720)] * n, seconds / 2, loop=True))
            keeps = all(c["analysed_fps"] >= 9.5 for c in row["cameras"].values())
            capacity.append({"n_cameras": n, "keeps_up": keeps, **row})
            print(json.dumps(capacity[-1]), flush=True)
            if not keeps:
                break
        results["capacity_720p_10fps"] = capacity
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
