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

from lfr.stream import open_camera

if TYPE_CHECKING:
    from lfr.config import CameraConfig
    from lfr.daemon.tree import ServiceTree
    from lfr.pipeline.camera_actor import CameraActor

log = logging.getLogger(__name__)


class CameraSet:
    def __init__(self, tree: ServiceTree) -> None:
        self._tree = tree
        self._configs: dict[str, CameraConfig] = {}
        self._actors: dict[str, CameraActor] = {}

    @property
    def configs(self) -> dict[str, CameraConfig]:
        return dict(self._configs)

    def actors(self) -> list[CameraActor]:
        """The cameras this set started and has not removed (running, FAILED or, after the
        daemon stopped, as they ended: what the final summary counts)."""
        return list(self._actors.values())

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
        ctx = self._tree.engine.camera(cam.id, cam.watchlist, media_clock=False)
        self._configs[cam.id] = cam
        self._actors[cam.id] = await self._tree.add_camera(source, ctx)

    async def _stop(self, cid: str) -> None:
        await self._tree.stop_camera(cid)
        self._configs.pop(cid, None)
        self._actors.pop(cid, None)
        await trio.to_thread.run_sync(self._tree.engine.retire, cid)
