"""The analysis pipeline shared by `lfr scan`, `lfr demo` and the daemon: per-frame analysis,
per-camera tracking state, watchlist galleries, alert dispatch and latency bookkeeping.

It sits above the kernel, stream, inference and store layers and below the protocol, the
daemon and the CLI; `tests/unit/test_layers.py` keeps it there.
"""
