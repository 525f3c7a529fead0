"""ONNX Runtime sessions with explicit threads and providers.

WHY explicit threads: several cameras and stages share a few cores; ORT's default of one
thread per core in every session oversubscribes them. The caller picks intra-op threads
(default: ORT's choice) and inter-op is pinned to 1 (our graphs are sequential chains).
Providers default to CUDA when onnxruntime-gpu offers it, then CPU. ORT releases the GIL in
`run`, so callers bridge it into trio with `trio.to_thread.run_sync`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import onnxruntime as ort  # type: ignore[import-untyped]

from lfr.errors import ConfigError

_PREFERRED = ("CUDAExecutionProvider", "CPUExecutionProvider")


@dataclass(frozen=True)
class SessionConfig:
    threads: int | None = None  # intra-op threads; None = ORT default
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
    if config.threads is not None:
        options.intra_op_num_threads = config.threads
    options.log_severity_level = 3  # unused-initializer warnings are noise here
    return ort.InferenceSession(model, sess_options=options, providers=config.resolved_providers())
