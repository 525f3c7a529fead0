"""What a process costs the machine, read from /proc: resident memory, CPU time per kind of
thread, and how busy the whole machine was meanwhile (so a capacity figure says how much of
the two cores other people's jobs held while it was measured).

Thread kinds come from the thread names (`comm`, 15 characters): lfr names its decode threads
`lfr-decode:<camera>`, trio its workers `Trio thread N`, ONNX Runtime leaves its pool threads
with the process name; digits and the camera suffix are folded so each kind is one line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

_TICK = os.sysconf("SC_CLK_TCK")
_FOLD = re.compile(r"[:\d].*$")


def rss_mib(pid: int) -> float:
    """Resident set size (VmRSS) of `pid`, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for pid {pid}")


def _cpu_of(stat: str) -> float:
    # comm may hold spaces and parentheses: fields start after the last ')'
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICK  # utime + stime


def thread_cpu(pid: int) -> dict[str, float]:
    """CPU seconds so far per thread kind (threads that ended are lost: sample twice and
    difference only long-lived threads)."""
    out: dict[str, float] = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            comm = (task / "comm").read_text().strip()
            cpu = _cpu_of((task / "stat").read_text())
        except OSError:
            continue  # the thread ended between listing and reading
        kind = _FOLD.sub("", comm).strip() or comm
        out[kind] = out.get(kind, 0.0) + cpu
    return out


def process_cpu(pid: int) -> float:
    """CPU seconds of the whole process so far (ended threads included)."""
    return _cpu_of(Path(f"/proc/{pid}/stat").read_text())


def machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the machine since boot, over all cores."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user
    return (total - idle) / _TICK, total / _TICK


@dataclass(frozen=True)
class CpuSample:
    process: float
    threads: dict[str, float]
    machine_busy: float
    machine_total: float

    @classmethod
    def take(cls, pid: int) -> CpuSample:
        busy, total = machine_busy()
        return cls(process_cpu(pid), thread_cpu(pid), busy, total)


def cpu_between(a: CpuSample, b: CpuSample, seconds: float) -> dict[str, object]:
    """Cores used on average between two samples: by the process, by each thread kind, and by
    everything else on the machine."""
    cores = (b.machine_total - a.machine_total) / seconds
    own = (b.process - a.process) / seconds
    machine = (b.machine_busy - a.machine_busy) / seconds
    kinds = {
        k: round((b.threads[k] - a.threads.get(k, 0.0)) / seconds, 3)
        for k in sorted(b.threads, key=lambda k: -(b.threads[k] - a.threads.get(k, 0.0)))
    }
    return {
        "cores": round(cores, 2),
        "process_cores": round(own, 3),
        "others_cores": round(max(0.0, machine - own), 3),
        "threads_cores": {k: v for k, v in kinds.items() if v > 0.0005},
    }
