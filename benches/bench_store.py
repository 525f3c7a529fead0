"""Store benchmark (issue 5): what governance costs on the alert path and at daemon start.

- `alerts.record` latency (an alert with a 6 KB crop, committed durably before it returns),
  against a peer in the same run: a bare sqlite3 INSERT of the same row with
  `synchronous=NORMAL` and no crop table (what durability and the crop cost).
- `watchlists.load` of N identities (read, content-hash check, Gallery build), against a
  peer: reading the same template blobs into one numpy matrix with a bare SELECT.
- `add_many` (one transaction, one rehash, one audit record) of N identities.

    python benches/bench_store.py [--identities 10000] [--alerts 500] [--out FILE]
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from lfr.store import AlertRecord, NewTemplate, Store
from lfr.store.db import DB_FILENAME
from lfr.store.watchlists import IdentityUpdate
from machine import describe

MODEL = "bench-model+00000000"


def _pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))


def bench_alerts(home: Path, n: int) -> tuple[list[float], list[float]]:
    crop = bytes(6000)
    lfr_ms: list[float] = []
    with Store.open(home) as store:
        for i in range(n):
            t0 = time.perf_counter()
            store.alerts.record(
                AlertRecord(
                    "cam",
                    time.time(),
                    "wl",
                    "h" * 64,
                    f"p{i % 50}",
                    0.5,
                    0.363,
                    i,
                    crop_jpeg=crop,
                    latency_ms=100.0,
                )
            )
            lfr_ms.append((time.perf_counter() - t0) * 1e3)
    conn = sqlite3.connect(home / "peer.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE alerts (seq INTEGER PRIMARY KEY, camera, ts, identity, score)")
    peer_ms: list[float] = []
    for i in range(n):
        t0 = time.perf_counter()
        conn.execute(
            "INSERT INTO alerts (camera, ts, identity, score) VALUES (?, ?, ?, ?)",
            ("cam", time.time(), f"p{i % 50}", 0.5),
        )
        peer_ms.append((time.perf_counter() - t0) * 1e3)
    conn.close()
    return lfr_ms, peer_ms


def bench_watchlist(home: Path, identities: int) -> dict[str, float]:
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((identities, 128)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    updates = [
        IdentityUpdate(
            f"id{i:06d}", [NewTemplate(vectors[i], MODEL, f"{i:064x}", 0.9)], label=f"P{i}"
        )
        for i in range(identities)
    ]
    with Store.open(home) as store:
        store.watchlists.create("wl", actor="bench")
        t0 = time.perf_counter()
        store.watchlists.add_many("wl", updates, actor="bench")
        add_s = time.perf_counter() - t0
        loads = []
        for _ in range(3):
            t0 = time.perf_counter()
            store.watchlists.load("wl", MODEL)
            loads.append(time.perf_counter() - t0)
    conn = sqlite3.connect(home / DB_FILENAME)
    peers = []
    for _ in range(3):
        t0 = time.perf_counter()
        rows = conn.execute("SELECT vector FROM templates").fetchall()
        np.frombuffer(b"".join(r[0] for r in rows), dtype="<f4").reshape(-1, 128)
        peers.append(time.perf_counter() - t0)
    conn.close()
    return {"add_s": add_s, "load_s": statistics.median(loads), "peer_s": statistics.median(peers)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--identities", type=int, default=10_000)
    parser.add_argument("--alerts", type=int, default=500)
    parser.add_argument("--out", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        lfr_ms, peer_ms = bench_alerts(Path(tmp) / "a", args.alerts)
        wl = bench_watchlist(Path(tmp) / "w", args.identities)
    lines = [
        "# Store benchmark (issue 5)",
        "",
        f"Command: `.venv/bin/python benches/bench_store.py --identities {args.identities} "
        f"--alerts {args.alerts}`",
        f"Machine: {describe()}, Python {platform.python_version()}, SQLite "
        f"{sqlite3.sqlite_version}; temp dir on the local disk",
        "",
        "| what | n | p50 ms | p99 ms |",
        "|---|---|---|---|",
        f"| lfr alerts.record (6 KB crop, synchronous=FULL, committed) | {args.alerts} | "
        f"{_pct(lfr_ms, 50):.3f} | {_pct(lfr_ms, 99):.3f} |",
        f"| peer: bare INSERT, no crop, synchronous=NORMAL | {args.alerts} | "
        f"{_pct(peer_ms, 50):.3f} | {_pct(peer_ms, 99):.3f} |",
        "",
        "| what | identities | seconds |",
        "|---|---|---|",
        f"| lfr add_many (one transaction + rehash + audit) | {args.identities} | "
        f"{wl['add_s']:.3f} |",
        f"| lfr watchlists.load (hash check + Gallery build), median of 3 | "
        f"{args.identities} | {wl['load_s']:.3f} |",
        f"| peer: bare SELECT of the blobs into numpy, median of 3 | {args.identities} | "
        f"{wl['peer_s']:.3f} |",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
