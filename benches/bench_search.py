"""Gallery search benchmark: lfr vs numpy (matmul + argpartition) vs faiss IndexFlatIP.

One process, identical data (unit-norm random templates, one per identity, so numpy and faiss
need no per-identity step; lfr still applies it). For each N, dim, batch and thread count it
prints per-query latency (best of several calls, which filters out other tenants' noise), the
speed-up over faiss, and lfr's scan rate as a fraction of the read bandwidth measured at the
start of the same run. The int8 storage is timed too, with its recall@10 against exact search.

    .venv/bin/python benches/bench_search.py            # full run (~10 min on 2 cores)
    .venv/bin/python benches/bench_search.py --quick    # N <= 100k, dim 128 (~1 min)
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import faiss
import numpy as np

from lfr._native import Gallery
from machine import cpu_model, simd_flags

K = 10


def best_time(
    fn: Callable[[], object], budget_s: float, min_calls: int = 2, max_calls: int = 500
) -> float:
    """Fastest of repeated calls: the run shares 2 cores with others, so the minimum is the
    least disturbed estimate of the code's own cost."""
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < max_calls and (
        len(times) < min_calls or time.perf_counter() - start < budget_s
    ):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def set_blas_threads(n: int) -> str:
    """numpy's OpenBLAS thread count, set through its own C entry point (no threadpoolctl)."""
    libs = glob.glob(
        os.path.join(os.path.dirname(np.__file__), "..", "numpy.libs", "libscipy_openblas*.so")
    )
    for path in libs:
        lib = ctypes.CDLL(path)
        for name in ("scipy_openblas_set_num_threads64_", "openblas_set_num_threads"):
            if hasattr(lib, name):
                getattr(lib, name)(ctypes.c_int(n))
                return str(n)
    return "default"


def read_bandwidth(threads: int, gib: float = 1.0) -> float:
    """Read bandwidth in GB/s: the best of a few vectorised reductions over a buffer far larger
    than the caches (numpy backs it with huge pages), split over `threads` threads (numpy
    releases the GIL), best of 5 each."""
    a = np.ones(int(gib * 2**30) // 8, dtype=np.float64)
    views: dict[str, np.ndarray] = {
        "max f32": a.view(np.float32),
        "or u64": a.view(np.uint64),
        "max f64": a,
    }
    reducers: dict[str, Callable[[np.ndarray], object]] = {
        "max f32": np.max,
        "or u64": np.bitwise_or.reduce,
        "max f64": np.max,
    }
    best = 0.0
    with ThreadPoolExecutor(threads) as ex:
        for name, view in views.items():
            parts: list[np.ndarray] = list(np.array_split(view, threads))
            fn = reducers[name]
            t = best_time(lambda: list(ex.map(fn, parts)), budget_s=0, min_calls=5)
            best = max(best, a.nbytes / t / 1e9)
    return best


def numpy_search(g: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    s = q @ g.T
    top = np.argpartition(-s, k - 1, axis=1)[:, :k]
    order = np.argsort(-np.take_along_axis(s, top, axis=1), axis=1)
    return np.take_along_axis(top, order, axis=1)


@dataclass
class Row:
    n: int
    dim: int
    batch: int
    threads: int
    lfr_us: float
    numpy_us: float
    faiss_us: float
    int8_us: float
    lfr_gbs: float


def unit(m: np.ndarray) -> np.ndarray:
    m /= np.linalg.norm(m, axis=1, keepdims=True)
    return m


def run_case(
    g_data: np.ndarray,
    batches: list[int],
    threads_list: list[int],
    bw: dict[int, float],
    budget: float,
) -> tuple[list[Row], float, float]:
    n, dim = g_data.shape
    rng = np.random.default_rng(n + dim)
    ids = [str(i) for i in range(n)]
    queries = unit(rng.standard_normal((max(batches), dim), dtype=np.float32))
    probes = unit(
        g_data[rng.integers(0, n, 64)] + 0.1 * rng.standard_normal((64, dim), dtype=np.float32)
    )
    index = faiss.IndexFlatIP(dim)
    index.add(g_data)
    rows: list[Row] = []
    recall_random = recall_probe = float("nan")
    for threads in threads_list:
        faiss.omp_set_num_threads(threads)
        blas = set_blas_threads(threads)
        print(
            f"  (threads={threads}: faiss OpenMP {threads}, numpy BLAS {blas}, lfr pool {threads})",
            flush=True,
        )
        exact, compact = (
            Gallery(dim, threads=threads),
            Gallery(dim, threads=threads, storage="int8"),
        )
        exact.add(ids, g_data)
        compact.add(ids, g_data)
        # Same answers as faiss on the same data, else the timings compare different work.
        agree = np.mean(
            [
                int(a[0]) == b[0]
                for a, b in zip(
                    exact.search(queries, K)[0], index.search(queries, K)[1], strict=False
                )
            ]
        )
        assert agree >= 0.95, f"lfr and faiss disagree on top-1 ({agree:.2f})"
        e_r, c_r = exact.search(queries, K)[0], compact.search(queries, K)[0]
        e_p, c_p = exact.search(probes, K)[0], compact.search(probes, K)[0]
        recall_random = float(
            np.mean([len(set(a) & set(b)) / K for a, b in zip(e_r, c_r, strict=False)])
        )
        recall_probe = float(
            np.mean([len(set(a) & set(b)) / K for a, b in zip(e_p, c_p, strict=False)])
        )
        for b in batches:
            q = queries[:b]
            t_lfr = best_time(lambda g=exact, q=q: g.search(q, K), budget)
            t_np = best_time(lambda: numpy_search(g_data, q, K), budget)
            t_faiss = best_time(lambda: index.search(q, K), budget)
            t_int8 = best_time(lambda g=compact, q=q: g.search(q, K), budget)
            gbs = n * dim * 4 / t_lfr / 1e9  # the gallery is streamed once per call
            rows.append(
                Row(
                    n,
                    dim,
                    b,
                    threads,
                    t_lfr / b * 1e6,
                    t_np / b * 1e6,
                    t_faiss / b * 1e6,
                    t_int8 / b * 1e6,
                    gbs,
                )
            )
            print(fmt(rows[-1], bw), flush=True)
        if threads > 1 and n >= 1_000_000:
            PAIRED.append(paired(g_data, exact, index, queries[:1], threads))
            print("  paired: " + PAIRED[-1], flush=True)
        del exact, compact
    return rows, float(recall_random), float(recall_probe)


PAIRED: list[str] = []


def paired(
    g_data: np.ndarray, g: Gallery, index: faiss.IndexFlatIP, q: np.ndarray, threads: int
) -> str:
    """The large single-query case again, round-robin: read bandwidth over the very same
    gallery array, lfr, faiss; 15 rounds, best of each. All three then see the same share of
    the two cores (other tenants come and go), so their ratios are like for like."""
    parts = np.array_split(g_data.reshape(-1), threads)
    t: dict[str, list[float]] = {"bw": [], "lfr": [], "faiss": []}
    with ThreadPoolExecutor(threads) as ex:
        for _ in range(15):
            for name, fn in (
                ("bw", lambda: list(ex.map(np.max, parts))),
                ("lfr", lambda: g.search(q, K)),
                ("faiss", lambda: index.search(q, K)),
            ):
                t0 = time.perf_counter()
                fn()
                t[name].append(time.perf_counter() - t0)
    best = {k: min(v) for k, v in t.items()}
    n, dim = g_data.shape
    return (
        f"N={n:,} dim={dim} 1 query, {threads} threads: lfr {best['lfr'] * 1e3:.2f} ms, faiss "
        f"{best['faiss'] * 1e3:.2f} ms ({best['faiss'] / best['lfr']:.2f}x); lfr reads "
        f"{g_data.nbytes / best['lfr'] / 1e9:.1f} GB/s = {100 * best['bw'] / best['lfr']:.0f}% of the "
        f"{g_data.nbytes / best['bw'] / 1e9:.1f} GB/s a {threads}-thread numpy max reads from the same array"
    )


HEADER = (
    "| N | dim | batch | thr | lfr us/q | numpy us/q | faiss us/q | faiss/lfr | lfr GB/s | % of bw "
    "| int8 us/q | f32/int8 |\n|---|---|---|---|---|---|---|---|---|---|---|---|"
)


def fmt(r: Row, bw: dict[int, float]) -> str:
    return (
        f"| {r.n:,} | {r.dim} | {r.batch} | {r.threads} | {r.lfr_us:,.1f} | {r.numpy_us:,.1f} | {r.faiss_us:,.1f} "
        f"| {r.faiss_us / r.lfr_us:.2f}x | {r.lfr_gbs:.1f} | {100 * r.lfr_gbs / bw[r.threads]:.0f}% | {r.int8_us:,.1f} "
        f"| {r.lfr_us / r.int8_us:.2f}x |"
    )


def goals(
    rows: list[Row], recalls: dict[tuple[int, int], tuple[float, float]], bw: dict[int, float]
) -> list[str]:
    def get(n: int, dim: int, b: int, t: int) -> Row | None:
        return next((r for r in rows if (r.n, r.dim, r.batch, r.threads) == (n, dim, b, t)), None)

    out = []
    if r := get(1_000_000, 128, 1, 2):
        s, f = r.faiss_us / r.lfr_us, r.lfr_gbs / bw[2]
        out.append(
            f"1M x 128 f32, 1 query, 2 threads: {s:.2f}x faiss (goal 1.8x) {'MET' if s >= 1.8 else 'MISSED'}; "
            f"{100 * f:.0f}% of measured bandwidth (goal 75%) {'MET' if f >= 0.75 else 'MISSED'}"
        )
    if (r := get(1_000_000, 128, 64, 2)) and (r1 := get(1_000_000, 128, 1, 2)):
        s, s1 = r.faiss_us / r.lfr_us, r1.faiss_us / r.lfr_us
        out.append(
            f"1M x 128 batch 64, 2 threads: {s:.1f}x faiss at batch 64, {s1:.1f}x faiss's single-query "
            f"cost (goal 4x) {'MET' if min(s, s1) >= 4 else 'MISSED'}"
        )
    for t in (1, 2):
        if r := get(10_000, 128, 1, t):
            out.append(
                f"10k x 128, 1 query, {t} thread(s): {r.lfr_us:.0f} us from Python (goal < 100 us) "
                f"{'MET' if r.lfr_us < 100 else 'MISSED'}"
            )
    for t in (1, 2):
        if (r := get(1_000_000, 128, 1, t)) and (1_000_000, 128) in recalls:
            s, (rr, rp) = r.lfr_us / r.int8_us, recalls[(1_000_000, 128)]
            out.append(
                f"int8 1M x 128, 1 query, {t} thread(s): {s:.2f}x the f32 path (goal 3x) "
                f"{'MET' if s >= 3 else 'MISSED'}; recall@10 {rr:.3f} random queries / {rp:.3f} probes "
                f"(goal 0.99) {'MET' if min(rr, rp) >= 0.99 else 'MISSED'}"
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="N <= 100k, dim 128, short timing budget")
    args = ap.parse_args()
    sizes = [1_000, 10_000, 100_000] if args.quick else [1_000, 10_000, 100_000, 1_000_000]
    dims = [128] if args.quick else [128, 512]
    batches, threads_list = [1, 8, 64], [1, 2]
    budget = 0.1 if args.quick else 1.5

    print(
        f"kernels: {Gallery.available_kernels()} (auto = {Gallery().kernel}); faiss {faiss.__version__}; "
        f"numpy {np.__version__}"
    )
    print(f"cpu: {cpu_model()}; simd flags: {' '.join(simd_flags())}")
    # Measured before and after the cases; the higher reading is the one least disturbed.
    bw = {t: read_bandwidth(t) for t in threads_list}
    print(
        "measured read bandwidth: "
        + ", ".join(f"{t} thread(s) {v:.1f} GB/s" for t, v in bw.items())
    )
    print(HEADER)
    rows: list[Row] = []
    recalls: dict[tuple[int, int], tuple[float, float]] = {}
    rng = np.random.default_rng(0)
    t0 = time.perf_counter()
    for dim in dims:
        big = unit(rng.standard_normal((max(sizes), dim), dtype=np.float32))
        for n in sizes:
            # The 1M x 512 case moves 2 GB per call: fewer repetitions keep the run short.
            case_budget = budget / 4 if n * dim >= 500_000_000 else budget
            r, rr, rp = run_case(big[:n], batches, threads_list, bw, case_budget)
            rows += r
            recalls[(n, dim)] = (rr, rp)
            if n >= 100_000:  # other tenants come and go: keep the best reading of the run
                bw = {t: max(bw[t], read_bandwidth(t)) for t in threads_list}
        del big
    bw_end = {t: read_bandwidth(t) for t in threads_list}
    readings = ", ".join(f"{t} thread(s) {v:.1f} GB/s" for t, v in bw_end.items())
    print(f"\nread bandwidth after the cases: {readings}")
    bw = {t: max(bw[t], bw_end[t]) for t in threads_list}
    print(
        f"\nresults ('% of bw' against the higher reading: {', '.join(f'{v:.1f}' for v in bw.values())} GB/s)"
    )
    print(HEADER)
    for row in rows:
        print(fmt(row, bw))
    print("\nint8 recall@10 vs exact f32 (random queries / noisy probes of enrolled templates):")
    for (n, dim), (rr, rp) in recalls.items():
        print(f"  N={n:,} dim={dim}: {rr:.3f} / {rp:.3f}")
    print("\npaired measurements (same time window, same array):")
    for line in PAIRED:
        print("  " + line)
    print("\ngoals:")
    for line in goals(rows, recalls, bw):
        print("  " + line)
    print(f"\nwall time {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
