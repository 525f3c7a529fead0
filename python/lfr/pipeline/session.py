"""Opening an engine for a command that runs the pipeline once (`lfr scan`, `lfr demo`)."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from lfr.pipeline.alerts import AlertOutput
from lfr.pipeline.engine import DETECTION_FLOOR, Engine, EngineSettings
from lfr.pipeline.summary import format_summary
from lfr.telemetry import OFF, Telemetry


@contextmanager
def open_engine(
    outputs: Sequence[AlertOutput],
    settings: EngineSettings = EngineSettings(),
    *,
    home: Path | None = None,
    models_dir: Path | None = None,
    threads: int | None = None,
    telemetry: Telemetry = OFF,
) -> Iterator[Engine]:
    """Store (under `home`, default $LFR_HOME) + models + engine; the store is closed after."""
    from lfr.inference import FaceAnalyzer
    from lfr.store import Store

    analyzer = FaceAnalyzer.create(
        models_dir=models_dir, threads=threads, score_threshold=DETECTION_FLOOR
    )
    with Store.open(home) as store:
        yield Engine(store, analyzer, outputs, settings, telemetry=telemetry)


def print_summary(summary: dict[str, object], *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary, separators=(",", ":")), file=sys.stderr, flush=True)
    else:
        print(format_summary(summary), file=sys.stderr, flush=True)
