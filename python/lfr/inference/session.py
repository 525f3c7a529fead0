"""ONNX Runtime sessions with explicit threads and providers.

WHY one intra-op thread by default: lfr's parallelism is frames side by side (cameras, and a
camera's detection beside its previous frame's embedding), each frame's work on one core.
ORT's default, a pool of one thread per core in every session, splits each small convolution
across cores and keeps its pool threads spinning between runs: with several cameras, the
sessions' pools spin against each other and against the frames (measured on 2 cores with 4
cameras: the pool threads burnt ~15 of 48 CPU-seconds; with one thread per session the same
box kept twice the cameras). A caller may still ask for more threads (one big batch, one
camera on many cores); those pools then sleep between runs instead of spinning
(`session.intra_op.allow_spinning = 0`), which costs microseconds per run and never a core.
Inter-op is pinned to 1 (our graphs are sequential chains). Providers default to CUDA when
onnxruntime-gpu offers it, then CPU. ORT releases the GIL in `run`, so callers bridge it into
trio with `trio.to_thread.run_sync`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import onnxruntime as ort  # type: ignore[import-untyped]

from lfr.errors import ConfigError

_PREFERRED = ("CUDAExecutionProvider", "CPUExecutionProvider")
DEFAULT_THREADS = 1  # intra-op threads per session unless asked otherwise


@dataclass(frozen=True)
class SessionConfig:
    threads: int | None = None  # intra-op threads; None = DEFAULT_THREADS
    providers: tuple[str, ...] | None = None  # None = CUDA if available, else CPU

    def resolved_providers(self) -> list[str]:
        available = ort.get_available_providers()
        if self.providers is None:
            return [p for p in _PREFERRED if p in available]
        missing = [p for p in self.providers if p not in available]
        if missing:
            raise ConfigError(
                f"models.providers: {', '.join(missing)} not available "
                f"(this onnxruntime offers {', '.join(available)})"
            )
        return list(self.providers)


def make_config(threads: int | None, providers: Sequence[str] | None) -> SessionConfig:
    if threads is not None and threads < 1:
        raise ConfigError(f"models.threads: must be >= 1, got {threads}")
    return SessionConfig(threads=threads, providers=tuple(providers) if providers else None)


def create_session(model: bytes, config: SessionConfig) -> ort.InferenceSession:
    """An InferenceSession over verified model bytes."""
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.inter_op_num_threads = 1
    options.intra_op_num_threads = config.threads or DEFAULT_THREADS
    if options.intra_op_num_threads > 1:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.log_severity_level = 3  # unused-initializer warnings are noise here
    return ort.InferenceSession(model, sess_options=options, providers=config.resolved_providers())
