"""The daemon's memory chore gives freed C-heap pages back: after half of many heap blocks are
freed, resident memory stays where it was (the pages sit with the allocator, between live
blocks) until `release_free_memory` runs."""

from __future__ import annotations

import os

from lfr.daemon.memory import release_free_memory


def _rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def test_freed_heap_pages_go_back_to_the_kernel() -> None:
    blocks = [bytearray(b"x" * 65_536) for _ in range(3_000)]  # 190 MiB in heap-sized blocks
    held = _rss_mib()
    del blocks[::2]  # every other block: no free run at the heap's top to shrink
    assert _rss_mib() > held - 20, "freed blocks between live ones stay resident"
    assert release_free_memory()
    assert _rss_mib() < held - 60
    del blocks
