"""`Daemon`: the live service, the root of the supervision tree (`lfr.daemon.tree`).

Start: open the store, apply retention and purge expired watchlists, load the models and the
cameras' watchlists (refusing to start on an unknown or unusable one, naming the config key),
start the tree (socket, alert actor, cameras' supervisor, housekeeping), start the cameras in
it, and open the run record. Stop (SIGTERM/SIGINT, or `request_stop`): the tree stops in
order (cameras drain their frame in hand, the alert actor persists what they handed it, the
socket is removed), then the run's counters are flushed and the run closed.
SIGHUP re-reads the config's camera list and reloads the watchlists in place.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import trio

from lfr.cluster.actor import build as build_cluster
from lfr.config import Config, ConfigError, load_config
from lfr.daemon import policies
from lfr.daemon.api import EngineApi
from lfr.daemon.cameras import CameraSet
from lfr.daemon.housekeeping import Housekeeping
from lfr.daemon.metrics import DaemonCollector, build_info, metrics_actor
from lfr.daemon.rates import RateBoard
from lfr.daemon.socket_actor import SocketActor
from lfr.daemon.tracing import TraceOptions, record_trace
from lfr.daemon.tree import ServiceTree
from lfr.errors import StateError
from lfr.kernel.registry import Registry
from lfr.pipeline.alert_log import JsonlOutput
from lfr.pipeline.alerts import EmittedAlert, StreamOutput
from lfr.pipeline.camera_actor import camera_snapshots
from lfr.pipeline.engine import DETECTION_FLOOR, Engine, EngineSettings
from lfr.pipeline.watchlists import ReloadOutcome
from lfr.protocol.feed import AlertFeed
from lfr.protocol.hub import EventHub
from lfr.protocol.server import SocketEndpoints
from lfr.telemetry import PipelineMetrics, Telemetry

if TYPE_CHECKING:
    from lfr.cluster.actor import ClusterActor
    from lfr.console import ConsoleActor
    from lfr.http import HttpActor
    from lfr.inference import FaceAnalyzer
    from lfr.pipeline.camera_actor import CameraActor
    from lfr.store import Store

log = logging.getLogger(__name__)


class DaemonStartError(StateError):
    """The daemon cannot start as configured; the message names the setting to fix."""

    exit_code = 2


class Daemon:
    def __init__(
        self,
        config: Config,
        *,
        config_path: Path | None = None,
        handle_signals: bool = True,
        announce: Callable[[str], None] | None = None,
        analyzer: FaceAnalyzer | None = None,
        trace: TraceOptions | None = None,
    ) -> None:
        """`analyzer`: models already loaded by the caller (tests share one); it should
        detect down to `DETECTION_FLOOR` like the daemon's own. `trace`: record a per-frame
        trace of the first seconds of the run."""
        self.config = config
        self.config_path = config_path
        self.handle_signals = handle_signals
        self._announce = announce or (lambda line: print(line, file=sys.stderr, flush=True))
        self.engine: Engine | None = None
        self.tree: ServiceTree | None = None
        self.hub = EventHub(max_frame_bytes=config.socket.max_frame_bytes)
        self.alert_feed: AlertFeed | None = None
        self.endpoints: SocketEndpoints | None = None
        self.console: ConsoleActor | None = None
        self._stop = trio.Event()
        self._cameras: CameraSet | None = None
        self._analyzer = analyzer  # models already loaded by the caller (the demo)
        self.trace = trace
        self.metrics: HttpActor | None = None
        self.cluster: ClusterActor | None = None

    def request_stop(self) -> None:
        self._stop.set()

    async def run(self, *, task_status: trio.TaskStatus[Daemon] = trio.TASK_STATUS_IGNORED) -> None:

        # Bound first: a taken port stops the start at once, naming `metrics.listen`.
        instruments = None
        if self.config.metrics is not None:
            instruments = PipelineMetrics()
            self.metrics = metrics_actor(self.config.metrics, instruments.registry)
        tracer = self.trace.recorder() if self.trace is not None else None
        telemetry = Telemetry(metrics=instruments, tracer=tracer)
        try:
            await self._open_stores(telemetry, task_status)
        finally:
            if self.metrics is not None:
                self.metrics.close()

    async def _open_stores(
        self, telemetry: Telemetry, task_status: trio.TaskStatus[Daemon]
    ) -> None:
        from lfr.store import Store

        data_dir = Path(self.config.daemon.data_dir)
        key_file = self.config.audit.key_file
        store = await trio.to_thread.run_sync(
            functools.partial(Store.open, data_dir, audit_key_file=key_file)
        )
        try:
            # The alert actor writes through its own connection: while it waits out another
            # process's write lock, reads on `store` (status, replays) are not held behind it.
            alert_store = await trio.to_thread.run_sync(
                functools.partial(Store.open, data_dir, check=False, audit_key_file=key_file)
            )
            try:
                await self._serve(store, alert_store, data_dir, telemetry, task_status)
            finally:
                alert_store.close()
        finally:
            store.close()

    async def _serve(
        self,
        store: Store,
        alert_store: Store,
        data_dir: Path,
        telemetry: Telemetry,
        task_status: trio.TaskStatus[Daemon],
    ) -> None:
        cfg = self.config
        # The audit key first: a store sealed with another key must stop the start, not the
        # first verdict an officer records.
        fingerprint = await trio.to_thread.run_sync(store.audit.fingerprint)
        analyzer = await trio.to_thread.run_sync(self._load_models)
        feed = self.alert_feed = AlertFeed(
            self.hub,
            start_after=await trio.to_thread.run_sync(store.alerts.last_seq),
            poll_s=cfg.socket.alert_poll_s,
        )
        engine = self.engine = Engine(
            store,
            analyzer,
            self._outputs(store),
            self._engine_settings(),
            publish=self._publish_alert,
            alert_store=alert_store,
            telemetry=telemetry,
        )
        rates, registry = RateBoard(), Registry()
        if telemetry.metrics is not None:
            telemetry.metrics.registry.register(
                DaemonCollector(registry, engine.watchlists.describe, build_info(analyzer))
            )
        housekeeping = Housekeeping(
            engine, self.hub, rates, registry, alerts_days=cfg.retention.alerts_days
        )
        await trio.to_thread.run_sync(housekeeping.retention)
        await self._load_watchlists(engine)
        cluster = self.cluster = build_cluster(
            cfg,
            store,
            engine,
            announce=feed.offer_alert,
            camera_states=lambda: [
                {"id": c.camera, "state": c.state}
                for c in camera_snapshots(registry, latency=False)
            ],
        )
        api = EngineApi(engine, registry, rates, self.reload_watchlists, cluster=cluster)
        api.on_verdict = functools.partial(self.hub.publish, "verdicts")
        socket = SocketActor(api, self.hub, cfg.socket, data_dir, alerts=feed)
        console = self.console = self._console(store, api, engine)
        tree = self.tree = ServiceTree(
            engine,
            policies.DAEMON,
            socket=socket,
            console=console,
            housekeeping=housekeeping,
            metrics=self.metrics,
            registry=registry,
            cluster=cluster,
        )
        self._cameras = CameraSet(tree)
        reason = "error"
        try:
            async with trio.open_nursery() as outer:
                if self.handle_signals:
                    await outer.start(self._signals)
                if telemetry.tracer is not None:
                    assert self.trace is not None
                    outer.start_soon(
                        record_trace, telemetry.tracer, self.trace.path, self._announce
                    )
                async with trio.open_nursery() as nursery:
                    await nursery.start(tree.run)
                    self.endpoints = socket.endpoints
                    await self._cameras.apply(cfg.cameras)
                    await trio.to_thread.run_sync(engine.begin_run, cfg.digest())
                    await trio.to_thread.run_sync(store.export_head, "daemon.start")
                    self._announce_ready(store, data_dir, fingerprint)
                    task_status.started(self)
                    await self._stop.wait()
                    log.info("stopping")
                    tree.request_stop()  # in order; returns when every actor has stopped
                reason = "stop"
                outer.cancel_scope.cancel()
        finally:
            if console is not None:
                console.close()
            with trio.CancelScope(shield=True):
                await trio.to_thread.run_sync(engine.end_run, reason)
                await trio.to_thread.run_sync(store.export_head, "daemon.stop")
        self._announce("lfr-run: stopped")

    def _console(self, store: Store, api: EngineApi, engine: Engine) -> ConsoleActor | None:
        """The operator console when `[console]` is configured (its port bound now)."""
        if self.config.console is None:
            return None
        from lfr.console import console_actor

        try:
            return console_actor(
                self.config.console, store, api, self.hub, analyzer=engine.analyzer
            )
        except ConfigError as exc:
            raise DaemonStartError(str(exc)) from None

    def _announce_ready(self, store: Store, data_dir: Path, fingerprint: str) -> None:
        self._announce(f"lfr-run: data dir {data_dir.absolute()}")
        self._announce(f"lfr-run: database {store.path}")
        self._announce(
            f"lfr-run: audit key {fingerprint} ({store.audit.key_file}); "
            f"heads exported to {store.head_log}"
        )
        unix = self.endpoints.unix_path if self.endpoints is not None else None
        tcp = self.endpoints.tcp if self.endpoints is not None else None
        self._announce(f"lfr-run: socket {unix}" + (f", tcp {tcp[0]}:{tcp[1]}" if tcp else ""))
        if self.console is not None:
            self._announce(f"lfr-run: console {self.console.url}/")
        if self.metrics is not None:
            self._announce(f"lfr-run: metrics {self.metrics.url}/metrics")
        if self.trace is not None:
            self._announce(f"lfr-run: tracing {self.trace.seconds:g} s to {self.trace.path}")
        assert self.engine is not None
        self._announce(
            f"lfr-run: {len(self.config.cameras)} camera(s), watchlists "
            f"{', '.join(self.engine.watchlists.names()) or '-'}; ready"
        )

    # --- what tests, the demo and benches read ---------------------------------------------

    def camera(self, camera_id: str) -> CameraActor | None:
        """The running camera `camera_id` (None once stopped, or before the start)."""
        return self.tree.camera(camera_id) if self.tree is not None else None

    def summary(self) -> dict[str, object]:
        """The run's figures over every camera started (also after the daemon stopped)."""
        if self.engine is None or self._cameras is None:
            return {}
        return self.engine.summary([a.snapshot() for a in self._cameras.actors()])

    # --- start-up pieces ------------------------------------------------------------------

    def _load_models(self) -> FaceAnalyzer:
        from lfr.inference import FaceAnalyzer

        if self._analyzer is not None:
            return self._analyzer
        m = self.config.models
        return FaceAnalyzer.create(
            models_dir=m.dir,
            threads=m.threads,
            providers=m.providers,
            det_size=m.det_size,
            score_threshold=DETECTION_FLOOR,
        )

    def _engine_settings(self) -> EngineSettings:
        tracker, cluster = self.config.tracker, self.config.cluster
        site = cluster.site_name if cluster.role == "edge" else None
        return EngineSettings(
            threshold=tracker.threshold,
            tracker=tracker.settings,
            site=site,
            full_frame_every=self.config.models.full_frame_every,
        )

    def _publish_alert(self, alert: EmittedAlert) -> None:
        """A persisted alert: to the socket's subscribers (through the feed, in seq order),
        and to the cluster's outbox."""
        assert self.alert_feed is not None
        self.alert_feed.offer_alert(alert)
        if self.cluster is not None:
            self.cluster.notify()

    def _outputs(self, store: Store) -> list:
        return [
            StreamOutput(sys.stdout, as_json=self.config.logging.json),
            JsonlOutput(store.alert_log),
        ]

    async def _load_watchlists(self, engine: Engine) -> None:
        for i, cam in enumerate(self.config.cameras):
            if engine.watchlists.get(cam.watchlist) is not None:
                continue
            outcome = await trio.to_thread.run_sync(engine.watchlists.load, cam.watchlist)
            if not outcome.loaded:
                raise DaemonStartError(f"cameras[{i}].watchlist: {outcome.error}")

    # --- reload ---------------------------------------------------------------------------

    async def reload_watchlists(self, name: str | None = None) -> list[ReloadOutcome]:
        assert self.engine is not None
        names = (
            [name]
            if name
            else sorted(
                {c.watchlist for c in self.config.cameras} | set(self.engine.watchlists.names())
            )
        )
        outcomes = await trio.to_thread.run_sync(self.engine.watchlists.load_all, names)
        # Which watchlist content the cameras match against is part of the record.
        await trio.to_thread.run_sync(
            self.engine.store.audit.append,
            "watchlist.reload",
            "daemon",
            {o.name: _reload_record(o) for o in outcomes},
        )
        return outcomes

    async def reload(self) -> None:
        """SIGHUP: re-read the camera list (when started from a file), reload watchlists."""
        if self.config_path is not None and self._cameras is not None:
            try:
                fresh = await trio.to_thread.run_sync(load_config, self.config_path)
            except ConfigError as exc:
                log.error("reload: config not applied: %s", exc)
            else:
                previous, self.config = self.config, fresh
                await self.reload_watchlists()
                changes = await self._cameras.apply(fresh.cameras)
                assert self.engine is not None
                await trio.to_thread.run_sync(
                    self.engine.store.audit.append,
                    "config.reload",
                    "daemon",
                    {
                        "config_hash": fresh.digest(),
                        "previous": previous.digest(),
                        "cameras": changes,
                    },
                )
                return
        await self.reload_watchlists()

    async def _signals(
        self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED
    ) -> None:
        with trio.open_signal_receiver(signal.SIGTERM, signal.SIGINT, signal.SIGHUP) as sigs:
            task_status.started()
            async for signum in sigs:
                if signum == signal.SIGHUP:
                    log.info("SIGHUP: reloading cameras and watchlists")
                    await self.reload()
                else:
                    log.info("%s: stopping", signal.Signals(signum).name)
                    self.request_stop()


def _reload_record(outcome: ReloadOutcome) -> str | None:
    if outcome.loaded:
        return outcome.content_hash
    return f"{'dropped' if outcome.dropped else 'not loaded'}: {outcome.error}"
