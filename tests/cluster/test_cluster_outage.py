"""Real edge processes alerting on the looped Hamilton clip, and a hub, while things break:
nats-server killed for 10 s, an edge SIGKILLed while it catches up, a watchlist expiring at an
edge cut off from NATS. Every alert reaches the hub exactly once, in each site's order."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import trio
from cluster_helpers import alerts_of, audit_of, clip_camera, make, run_lfr, site_config, wait_for

SITES = ["van-3", "van-4"]


def _toml(config: dict) -> str:
    lines = []
    for section, table in config.items():
        if section == "cameras":
            continue
        lines.append(f"[{section}]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in table.items()]
    for camera in config["cameras"]:
        lines.append("[[cameras]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in camera.items()]
    return "\n".join(lines) + "\n"


class Edge:
    """`lfr-run --config` for one site, as a service manager runs it."""

    def __init__(self, site: str, home: Path, config: dict) -> None:
        self.site, self.home = site, home
        self.config_path = home.parent / f"{site}.toml"
        self.config_path.write_text(_toml(config))
        self.drain_path = home.parent / f"{site}-drain.toml"  # the same site, no cameras
        self.drain_path.write_text(_toml({**config, "cameras": []}))
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, *, drain: bool = False) -> None:
        log = (self.home.parent / f"{self.site}.log").open("ab")
        config = self.drain_path if drain else self.config_path
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lfr.cli.run", "--config", str(config)],
            stdout=log,
            stderr=log,
            env={**os.environ},
        )

    def send(self, signum: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(signum)

    def stop(self, signum: int = signal.SIGTERM) -> None:
        if self.proc is not None:
            self.proc.send_signal(signum)
            self.proc.wait(30)
            self.proc = None


def _by_site(home: Path, site: str) -> list:
    return [a for a in alerts_of(home) if a.site == site]


def _states(alerts: list) -> list[tuple[str, int]]:
    """(alert id, revision) in seq order: the order a site's alert states were stored in."""
    return [(a.alert_id, a.revision) for a in sorted(alerts, key=lambda a: a.seq)]


async def test_outages_lose_nothing_and_double_nothing(
    nats, bundle_key: Path, site_home, analyzer, hamilton_clip: Path
) -> None:
    homes = {site: site_home(site) for site in SITES}
    edges = {
        site: Edge(
            site,
            homes[site],
            site_config(
                homes[site],
                role="edge",
                site=site,
                url=nats.url,
                bundle_key=bundle_key,
                cameras=[clip_camera(hamilton_clip, loop=True)],
            ),
        )
        for site in SITES
    }
    hub_home = site_home("hub")
    hub = make(
        site_config(hub_home, role="hub", url=nats.url, bundle_key=bundle_key, sites=SITES),
        analyzer,
    )
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(hub.run)
            for edge in edges.values():
                edge.start()

            def each_site_has(n: int) -> bool:
                return all(len(_by_site(hub_home, s)) >= n for s in SITES)

            await wait_for(lambda: each_site_has(2), 120, "two alerts from each site")

            # NATS gone for 10 s: the edges alert on, into their stores.
            before = {s: len(alerts_of(homes[s])) for s in SITES}
            nats.kill()
            await trio.sleep(10)
            assert all(len(alerts_of(homes[s])) > before[s] for s in SITES)
            nats.start()

            # SIGKILL an edge while it catches up, then start it again.
            at_hub = len(_by_site(hub_home, "van-3"))
            await wait_for(
                lambda: len(_by_site(hub_home, "van-3")) > at_hub, 30, "van-3 catching up"
            )
            edges["van-3"].stop(signal.SIGKILL)
            edges["van-3"].start()

            # A watchlist that expires while its edge is cut off stops matching there.
            counts = {s: len(_by_site(hub_home, s)) for s in SITES}
            await wait_for(
                lambda: all(len(_by_site(hub_home, s)) > counts[s] for s in SITES),
                60,
                "alerts from both sites after that",
            )
            nats.kill()
            done = await trio.to_thread.run_sync(
                run_lfr,
                ["watchlist", "set", "wl", "--expires", "4s", "--home", str(homes["van-4"])],
            )
            assert done.returncode == 0, done.stderr
            expires_at = time.time() + 4
            edges["van-4"].send(signal.SIGHUP)  # reload: the new expiry is in force
            await trio.sleep(9)
            late = [a for a in alerts_of(homes["van-4"]) if a.ts > expires_at + 0.5]
            assert late == []
            nats.start()

            # Everything flows; then the edges stop and the hub must hold exactly their alerts.
            def caught_up() -> bool:
                return all(
                    _states(_by_site(hub_home, s)) == _states(alerts_of(homes[s])) for s in SITES
                )

            for edge in edges.values():  # stopped, then started without cameras: it drains
                edge.stop()
                edge.start(drain=True)
            await wait_for(caught_up, 60, "the hub to hold every site's alerts")
            for site in SITES:
                local = _states(alerts_of(homes[site]))
                central = _states(_by_site(hub_home, site))
                assert central == local  # exactly once each, in the site's order
                assert len({alert_id for alert_id, _ in central}) == len(central)
            assert len(alerts_of(homes["van-4"])) > 0
            assert [
                r.details["watchlist"] for r in audit_of(homes["van-4"], "watchlist.expire")
            ] == ["wl"]
            hub.request_stop()
    finally:
        for edge in edges.values():
            edge.stop(signal.SIGKILL)
