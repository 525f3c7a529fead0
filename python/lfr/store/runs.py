"""Daemon runs: when a deployment ran, with which config and watchlist content, and how many
faces it saw and discarded.

Only numbers are kept about faces that matched nobody: the transparency report needs to say
how many people were scanned, and nothing else about them may exist. Start and finish are
audited here (with the config hash and watchlist hashes in use), so the daemon must not audit
them again.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from lfr.store.audit import AuditLog
from lfr.store.db import Database
from lfr.store.errors import StoreError

COUNTERS = ("faces_seen", "templates_computed", "templates_discarded", "frames", "passers_by")


@dataclass(frozen=True)
class Run:
    run_id: str
    started_at: float
    finished_at: float | None
    config_hash: str
    cameras: list[str]
    watchlists: dict[str, str]
    faces_seen: int
    templates_computed: int
    templates_discarded: int
    frames: int
    passers_by: int = 0  # tracks: the unit false-alert rates are counted in


class Runs:
    def __init__(self, db: Database, audit: AuditLog) -> None:
        self._db = db
        self._audit = audit

    def start(
        self,
        config_hash: str,
        cameras: Sequence[str],
        watchlists: Sequence[str] | Mapping[str, str],
        *,
        actor: str = "daemon",
    ) -> str:
        """Open a run. `watchlists` maps name -> content hash in use; given names only, the
        stored hashes are taken."""
        run_id, now = str(uuid.uuid4()), time.time()
        with self._db.transaction() as conn:
            if isinstance(watchlists, Mapping):
                hashes = {str(k): str(v) for k, v in watchlists.items()}
            else:
                hashes = {}
                for name in watchlists:
                    row = conn.execute(
                        "SELECT content_hash FROM watchlists WHERE name = ?", (name,)
                    ).fetchone()
                    hashes[str(name)] = row[0] if row else "unknown"
            conn.execute(
                "INSERT INTO runs (run_id, started_at, config_hash, cameras) VALUES (?, ?, ?, ?)",
                (run_id, now, config_hash, json.dumps([str(c) for c in cameras])),
            )
            conn.executemany(
                "INSERT INTO run_watchlists (run_id, watchlist, content_hash) VALUES (?, ?, ?)",
                [(run_id, k, v) for k, v in hashes.items()],
            )
            self._audit.append(
                "daemon.start",
                actor,
                {
                    "run_id": run_id,
                    "config_hash": config_hash,
                    "cameras": list(cameras),
                    "watchlists": hashes,
                },
            )
        return run_id

    def add_counts(
        self,
        run_id: str,
        *,
        faces_seen: int = 0,
        templates_computed: int = 0,
        templates_discarded: int = 0,
        frames: int = 0,
        passers_by: int = 0,
    ) -> None:
        """Add to the run's counters (called periodically; increments, not totals)."""
        values = (faces_seen, templates_computed, templates_discarded, frames, passers_by)
        if any(int(v) < 0 for v in values):
            raise StoreError("run counters only grow: increments must be >= 0")
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE runs SET faces_seen = faces_seen + ?, templates_computed = "
                "templates_computed + ?, templates_discarded = templates_discarded + ?, "
                "frames = frames + ?, passers_by = passers_by + ? WHERE run_id = ?",
                (*map(int, values), run_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no run with id {run_id!r}")

    def finish(self, run_id: str, *, actor: str = "daemon", reason: str = "stop") -> Run:
        with self._db.transaction() as conn:
            cur = conn.execute(
                "UPDATE runs SET finished_at = ? WHERE run_id = ? AND finished_at IS NULL",
                (time.time(), run_id),
            )
            if cur.rowcount != 1:
                raise StoreError(f"no open run with id {run_id!r}")
            run = self.get(run_id)
            self._audit.append(
                "daemon.stop",
                actor,
                {
                    "run_id": run_id,
                    "reason": reason,
                    "config_hash": run.config_hash,
                    "watchlists": run.watchlists,
                    **{name: getattr(run, name) for name in COUNTERS},
                },
            )
        return run

    def get(self, run_id: str) -> Run:
        runs = self._select("WHERE run_id = ?", (run_id,))
        if not runs:
            raise StoreError(f"no run with id {run_id!r}")
        return runs[0]

    def for_watchlist(self, name: str) -> list[Run]:
        return self._select(
            "WHERE run_id IN (SELECT run_id FROM run_watchlists WHERE watchlist = ?)", (name,)
        )

    def _select(self, where: str, params: tuple[object, ...]) -> list[Run]:
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT run_id, started_at, finished_at, config_hash, cameras, faces_seen, "
                f"templates_computed, templates_discarded, frames, passers_by FROM runs {where} "
                "ORDER BY started_at",
                params,
            ).fetchall()
            result = []
            for r in rows:
                hashes = dict(
                    conn.execute(
                        "SELECT watchlist, content_hash FROM run_watchlists WHERE run_id = ?",
                        (r[0],),
                    ).fetchall()
                )
                result.append(Run(r[0], r[1], r[2], r[3], json.loads(r[4]), hashes, *r[5:]))
        return result
