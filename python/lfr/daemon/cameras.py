"""The set of running cameras, changed in place on reload.

A SIGHUP re-reads the camera list: cameras that are gone are stopped, new ones are started,
changed ones are restarted, and the others are not touched: an operator adding a camera must
not blind the cameras that are already working.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

import trio

from lfr.daemon.worker import CameraWorker
from lfr.kernel.supervisor import RestartPolicy, Supervisor
from lfr.stream import open_camera

if TYPE_CHECKING:
    from lfr.config import CameraConfig
    from lfr.pipeline.engine import Engine

log = logging.getLogger(__name__)

# A camera whose analysis keeps crashing is restarted a few times, then left stopped
# (reported as failed) rather than taking the daemon down with it.
CAMERA_RESTARTS = RestartPolicy(
    max_restarts=5, within_s=60.0, backoff_initial_s=0.5, backoff_max_s=10.0
)


class CameraSet:
    def __init__(self, engine: Engine, supervisor: Supervisor) -> None:
        self._engine = engine
        self._supervisor = supervisor
        self._configs: dict[str, CameraConfig] = {}

    @property
    def configs(self) -> dict[str, CameraConfig]:
        return dict(self._configs)

    async def apply(self, cameras: Sequence[CameraConfig]) -> dict[str, list[str]]:
        """Make the running cameras match `cameras`; returns what changed."""
        wanted = {cam.id: cam for cam in cameras}
        removed = [cid for cid in self._configs if cid not in wanted]
        changed = [
            cid for cid, cam in wanted.items() if cid in self._configs and self._configs[cid] != cam
        ]
        added = [cid for cid in wanted if cid not in self._configs]
        for cid in removed + changed:
            await self._stop(cid)
        for cid in changed + added:
            await self._start(wanted[cid])
        if removed or changed or added:
            log.info(
                "cameras: started %s, restarted %s, stopped %s",
                added or "-",
                changed or "-",
                removed or "-",
            )
        return {"added": added, "changed": changed, "removed": removed}

    async def _start(self, cam: CameraConfig) -> None:
        source = open_camera(cam)
        ctx = self._engine.camera(cam.id, cam.watchlist, media_clock=False)
        self._configs[cam.id] = cam
        await self._supervisor.start(CameraWorker(self._engine, source, ctx), CAMERA_RESTARTS)

    async def _stop(self, cid: str) -> None:
        await self._supervisor.stop(f"camera:{cid}")
        self._configs.pop(cid, None)
        await trio.to_thread.run_sync(self._engine.retire, cid)
