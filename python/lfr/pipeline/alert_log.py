"""The alert log output: each alert as one JSON line in the day's file of the data directory's
alert log (`lfr.store.alert_files`: 0600, daily, deleted by retention with the alerts).

Identifiers and scores only, the alert's wire shape: never the crop or a template, so the log
carries no biometric data and a line copied into a ticket leaks no face.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lfr.pipeline.alerts import EmittedAlert
    from lfr.store.alert_files import AlertLogFiles


class JsonlOutput:
    def __init__(self, files: AlertLogFiles) -> None:
        self._files = files

    def emit(self, alert: EmittedAlert) -> None:
        self._files.append(alert.ts, [json.dumps(alert.to_json(), separators=(",", ":"))])
