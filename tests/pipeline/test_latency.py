"""Latency rings: bounded memory, percentiles over the recent window."""

from __future__ import annotations

import numpy as np

from lfr.pipeline.latency import LatencyBook, LatencyRing


def test_ring_keeps_only_the_recent_window() -> None:
    ring = LatencyRing(capacity=100)
    for ms in range(1000):
        ring.add(float(ms))
    stats = ring.percentiles()
    assert ring.count == 1000
    # Only 900..999 remain: the median of the window, not of the lifetime.
    assert stats["p50"] == np.percentile(np.arange(900, 1000), 50)
    assert stats["max"] == 999.0


def test_book_reports_only_stages_with_samples() -> None:
    book = LatencyBook()
    book.record({"detect": 10.0, "track": 0.1})
    book.record({"detect": 30.0})
    summary = book.summary()
    assert set(summary) == {"detect", "track"}
    assert summary["detect"]["p50"] == 20.0
    assert summary["detect"]["n"] == 2
