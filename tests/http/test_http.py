"""The shared HTTP layer: listen settings, the exposure rule, and an ASGI app served by a
supervised actor over a real socket."""

from __future__ import annotations

import socket
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import trio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from lfr.http import HttpActor, ListenAddress, ListenError, bind, check_exposure, parse_listen
from lfr.kernel import ActorState, Restart, RestartPolicy, Supervisor


@pytest.mark.parametrize(
    ("text", "host", "port"),
    [
        ("127.0.0.1:9108", "127.0.0.1", 9108),
        ("[::1]:9108", "::1", 9108),
        ("localhost:0", "localhost", 0),
        ("9108", "127.0.0.1", 9108),
        ("0.0.0.0:80", "0.0.0.0", 80),
    ],
)
def test_listen_addresses_parse(text: str, host: str, port: int) -> None:
    assert parse_listen(text) == ListenAddress(host, port)


@pytest.mark.parametrize("text", ["", "host:", ":9108", "127.0.0.1:70000", "a:b", "::1:9108"])
def test_bad_listen_addresses_name_the_key(text: str) -> None:
    with pytest.raises(ListenError) as err:
        parse_listen(text, key="listen")
    assert err.value.key == "listen" and str(err.value).startswith("listen: ")


def test_loopback_is_served_and_the_network_only_on_purpose() -> None:
    for text in ("127.0.0.1:1", "[::1]:1", "localhost:1", "127.8.9.10:1"):
        check_exposure(parse_listen(text), section="metrics", allow_remote=False)
    for text in ("0.0.0.0:1", "[::]:1", "192.168.1.5:1", "gate-box:1"):
        address = parse_listen(text)
        with pytest.raises(ListenError, match=r"metrics\.allow_remote = true"):
            check_exposure(address, section="metrics", allow_remote=False)
        check_exposure(address, section="metrics", allow_remote=True)
        with pytest.raises(ListenError, match="needs TLS"):
            check_exposure(address, section="console", allow_remote=True, remote_needs_tls=True)
        check_exposure(
            address, section="console", allow_remote=True, remote_needs_tls=True, tls=True
        )


def test_a_taken_port_is_refused_at_bind_naming_the_key() -> None:
    first = bind(parse_listen("127.0.0.1:0"))
    try:
        taken = ListenAddress("127.0.0.1", first.getsockname()[1])
        with pytest.raises(ListenError, match=r"^metrics\.listen: cannot listen on 127\.0\.0\.1:"):
            bind(taken, key="metrics.listen")
    finally:
        first.close()


def _app(hits: list[str]) -> Starlette:
    async def hello(request: Request) -> PlainTextResponse:
        hits.append(request.url.path)
        if request.query_params.get("crash"):
            raise RuntimeError("boom")
        return PlainTextResponse("hello\n")

    return Starlette(routes=[Route("/hello", hello)])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def test_an_app_is_served_by_a_supervised_actor_and_stops_gracefully() -> None:
    hits: list[str] = []
    actor = HttpActor("web", _app(hits), bind(parse_listen("127.0.0.1:0")))
    sup = Supervisor("root")
    policy = RestartPolicy(restart=Restart.PERMANENT, shutdown_s=2.0)
    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(sup.run)
            await sup.start(actor, policy)
            assert actor.stats.state is ActorState.RUNNING
            assert actor.url.startswith("http://127.0.0.1:")
            status, body = await trio.to_thread.run_sync(_get, actor.url + "/hello")
            assert (status, body) == (200, "hello\n")
            # An error in the app is the app's: a 500 for that request, the server runs on.
            status, _ = await trio.to_thread.run_sync(_get, actor.url + "/hello?crash=1")
            assert status == 500
            status, _ = await trio.to_thread.run_sync(_get, actor.url + "/nothing")
            assert status == 404
            assert actor.counters()["requests"] == 3 and actor.stats.restarts == 0
            assert await sup.stop("web") is True  # graceful: ended by itself
            sup.request_stop()
    finally:
        actor.close()
    assert hits == ["/hello", "/hello"]


async def test_the_socket_outlives_a_restart() -> None:
    """Connections made while the server is down wait in the backlog and are answered by the
    next run: the bound socket is the daemon's, each run serves a duplicate of it."""
    hits: list[str] = []
    actor = HttpActor("web", _app(hits), bind(parse_listen("127.0.0.1:0")))
    try:
        for _ in range(2):
            async with trio.open_nursery() as nursery:
                await nursery.start(actor.run)
                status, _ = await trio.to_thread.run_sync(_get, actor.url + "/hello")
                assert status == 200
                actor.request_stop()
        probe = socket.create_connection(("127.0.0.1", actor.address.port), timeout=2)
        probe.close()  # still listening between runs
    finally:
        actor.close()
    assert len(hits) == 2


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key (openssl)."""
    import shutil
    import subprocess

    from support.skips import require

    require(None if shutil.which("openssl") else "openssl not found: no certificate to test with")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subject = ["-subj", "/CN=localhost", "-addext", "subjectAltName=IP:127.0.0.1"]
    files = ["-keyout", str(key), "-out", str(cert)]
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            *subject,
            *files,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


async def test_tls_is_served_with_the_certificate_given(certificate: tuple[Path, Path]) -> None:
    """An endpoint with a certificate speaks HTTPS only (what a remote console needs)."""
    import ssl

    from lfr.http import TlsFiles

    cert, key = certificate
    hits: list[str] = []
    actor = HttpActor("web", _app(hits), bind(parse_listen("127.0.0.1:0")), tls=TlsFiles(cert, key))
    trusted = ssl.create_default_context(cafile=str(cert))

    def get(url: str, context: ssl.SSLContext | None) -> int:
        with urllib.request.urlopen(url, timeout=5, context=context) as resp:
            return resp.status

    try:
        async with trio.open_nursery() as nursery:
            await nursery.start(actor.run)
            assert actor.url.startswith("https://127.0.0.1:")
            assert await trio.to_thread.run_sync(get, actor.url + "/hello", trusted) == 200
            with pytest.raises(urllib.error.URLError):  # an unknown certificate is refused
                await trio.to_thread.run_sync(
                    get, actor.url + "/hello", ssl.create_default_context()
                )
            plain = actor.url.replace("https://", "http://") + "/hello"
            with pytest.raises((urllib.error.URLError, ConnectionError, OSError)):
                await trio.to_thread.run_sync(get, plain, None)
            actor.request_stop()
    finally:
        actor.close()
    assert hits == ["/hello"]
