"""`GET /metrics`: the daemon in the Prometheus text format, served by one supervised actor.

Two kinds of series, both only read by a scrape. The pipeline's histograms and event counters
(`lfr.telemetry.PipelineMetrics`: stage times, glass-to-decision, glass-to-alert, alerts,
verdicts) are observed where the event happens. Everything else is a counter the daemon keeps
anyway, read from where it is kept: each camera's snapshot (frames, faces, templates, state,
reconnects, all counted by the source and the analysis), the registry's actors (restarts), the
socket (clients, subscribers that fell behind) and the loaded watchlists (templates). Nothing
is recomputed from the store, and nothing is counted twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from lfr.cluster.actor import ClusterActor
from lfr.daemon.socket_actor import SocketActor
from lfr.http import HttpActor, bind
from lfr.pipeline.camera_actor import camera_snapshots
from lfr.stream.frame import CameraState

if TYPE_CHECKING:
    import socket

    from prometheus_client import CollectorRegistry

    from lfr.config import MetricsConfig
    from lfr.kernel.registry import Registry
    from lfr.pipeline.snapshot import CameraSnapshot

METRICS_ACTOR = "metrics"
# Every state a camera can report: its source's, and its actor's while it is not running.
CAMERA_STATES: tuple[str, ...] = (*(s.value for s in CameraState), "restarting")

# (name without _total, help, what to read from a camera's snapshot)
CAMERA_COUNTERS: tuple[tuple[str, str, Callable[[CameraSnapshot], int]], ...] = (
    ("lfr_frames_decoded", "Pictures decoded from the camera.", lambda s: s.source.frames_decoded),
    (
        "lfr_frames_analysed",
        "Frames the analysis ran on.",
        lambda s: s.analysis.frames_analysed,
    ),
    (
        "lfr_frames_dropped",
        "Frames replaced in the keep-latest slot before the analysis took them.",
        lambda s: s.source.frames_dropped,
    ),
    (
        "lfr_frames_skipped",
        "Frames not converted because of the camera's fps cap.",
        lambda s: s.source.frames_skipped,
    ),
    ("lfr_faces_detected", "Faces the detector found.", lambda s: s.analysis.faces),
    (
        "lfr_templates_computed",
        "Face templates computed (the tracker asks for a few per track).",
        lambda s: s.analysis.templates,
    ),
    (
        "lfr_templates_shed",
        "Due templates left for a later frame because the frame was late (cores busy).",
        lambda s: s.analysis.shed,
    ),
    (
        "lfr_camera_reconnects",
        "Times the camera was connected again after its first connection.",
        lambda s: max(0, s.source.connects - 1),
    ),
)


class DaemonCollector:
    """Reads the daemon's own counters at scrape time (in the trio thread, where they live)."""

    def __init__(
        self,
        registry: Registry,
        watchlists: Callable[[], list[dict[str, object]]],
        build_info: Mapping[str, str],
    ) -> None:
        self._registry = registry
        self._watchlists = watchlists
        self._build_info = dict(build_info)

    def collect(self) -> Iterator[Metric]:
        snaps = camera_snapshots(self._registry, latency=False)
        for name, doc, read in CAMERA_COUNTERS:
            family = CounterMetricFamily(name, doc, labels=["camera"])
            for snap in snaps:
                family.add_metric([snap.camera], read(snap))
            yield family
        state = GaugeMetricFamily(
            "lfr_camera_state", "1 for the camera's current state.", labels=["camera", "state"]
        )
        for snap in snaps:
            current = snap.state.lower()
            for name in CAMERA_STATES:
                state.add_metric([snap.camera, name], 1.0 if name == current else 0.0)
        yield state
        restarts = CounterMetricFamily(
            "lfr_actor_restarts", "Restarts of an actor by its supervisor.", labels=["actor"]
        )
        for actor in self._registry:
            restarts.add_metric([actor.name], actor.stats.restarts)
        yield restarts
        yield from self._socket()
        yield from self._cluster()
        templates = GaugeMetricFamily(
            "lfr_watchlist_templates", "Templates of a loaded watchlist.", labels=["watchlist"]
        )
        for wl in self._watchlists():
            templates.add_metric([str(wl["name"])], float(str(wl["templates"])))
        yield templates
        info = GaugeMetricFamily(
            "lfr_build_info",
            "The running build: 1, with its versions as labels.",
            labels=sorted(self._build_info),
        )
        info.add_metric([self._build_info[k] for k in sorted(self._build_info)], 1.0)
        yield info

    def _socket(self) -> Iterator[Metric]:
        sockets = self._registry.of_kind(SocketActor)
        clients = GaugeMetricFamily("lfr_socket_clients", "Clients connected to the socket.")
        clients.add_metric([], sum(s.clients for s in sockets))
        yield clients
        lagged = CounterMetricFamily(
            "lfr_socket_lagged",
            "Times a subscriber fell behind and missed events (it re-reads them from the store).",
        )
        lagged.add_metric([], sum(s.hub.lag_episodes for s in sockets))
        yield lagged

    def _cluster(self) -> Iterator[Metric]:
        """The NATS link (with `[cluster]`): its state, what happened to its messages, and at
        a hub every site's alerts and heartbeats, labelled with the site."""
        links = self._registry.of_kind(ClusterActor)
        if not links:
            return
        link = links[0]
        connected = GaugeMetricFamily("lfr_cluster_connected", "1 while the NATS link is up.")
        connected.add_metric([], float(link.session.link.connected))
        yield connected
        events = CounterMetricFamily(
            "lfr_cluster_messages",
            "Cluster messages by what became of them (published, ingested, rejected, ...).",
            labels=["event"],
        )
        for event, count in sorted(link.session.counts.items()):
            events.add_metric([event], count)
        yield events
        if link.hub is None:
            return
        alerts = CounterMetricFamily(
            "lfr_cluster_site_alerts",
            "Alerts ingested at the hub, by the site that raised them.",
            labels=["site"],
        )
        up = GaugeMetricFamily(
            "lfr_cluster_site_up", "1 while the site's heartbeats arrive.", labels=["site"]
        )
        for site in link.hub.describe_sites():
            name = str(site["site"])
            alerts.add_metric([name], link.hub.site_alerts[name])
            up.add_metric([name], 1.0 if site.get("alive") else 0.0)
        yield alerts
        yield up


def build_info(analyzer: object) -> dict[str, str]:
    """lfr's version, the model ids, ONNX Runtime's version, the search kernel in use."""
    import onnxruntime  # type: ignore[import-untyped]

    import lfr
    from lfr._native import Gallery

    models = getattr(analyzer, "models", None)
    return {
        "version": lfr.__version__,
        "detector": models.model_id("detector") if models is not None else "unknown",
        "embedder": models.model_id("embedder") if models is not None else "unknown",
        "onnxruntime": onnxruntime.__version__,
        "simd": Gallery().kernel,
    }


def metrics_app(registry: CollectorRegistry) -> Starlette:
    async def metrics(request: Request) -> Response:
        # The format the scraper asks for (OpenMetrics for Prometheus), else the classic text.
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        return Response(encode(registry), headers={"Content-Type": content_type})

    return Starlette(routes=[Route("/metrics", metrics)])


def metrics_actor(config: MetricsConfig, registry: CollectorRegistry) -> HttpActor:
    """The endpoint's actor on a socket bound now: a taken port stops the start, naming
    `metrics.listen`."""
    sock: socket.socket = bind(config.address(), key="metrics.listen")
    return HttpActor(METRICS_ACTOR, metrics_app(registry), sock, graceful_s=0.5)
