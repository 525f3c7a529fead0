"""[console]: on only when the section is there; never on the network without TLS, refused
at start naming the key; a port in use stops the daemon's start naming the key too."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from lfr.config import ConfigError, parse_config
from lfr.daemon.service import Daemon, DaemonStartError


def test_the_section_turns_the_console_on() -> None:
    assert parse_config({}).console is None
    console = parse_config({"console": {}}).console
    assert console is not None and console.listen == "127.0.0.1:8080" and not console.tls


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ({"listen": "0.0.0.0:8080"}, "console.listen: 0.0.0.0:8080 is reachable"),
        (
            {"listen": "0.0.0.0:8080", "allow_remote": True},
            "console.listen: 0.0.0.0:8080 is reachable from other machines: it needs TLS",
        ),
        ({"listen": "[::]:8080", "allow_remote": True}, "console.listen"),
        ({"cert_file": "/x.crt"}, "console.key_file: cert_file and key_file go together"),
        ({"listen": "nowhere"}, "console.listen: must be 'host:port'"),
        ({"idle_timeout_s": 5}, "console.idle_timeout_s"),
        ({"idle_timeout_s": 600, "session_max_s": 60}, "console.session_max_s"),
    ],
)
def test_unsafe_or_broken_settings_are_refused_naming_the_key(section: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        parse_config({"console": section})


def test_remote_with_tls_is_accepted(tmp_path: Path) -> None:
    cfg = parse_config(
        {
            "console": {
                "listen": "0.0.0.0:8443",
                "allow_remote": True,
                "cert_file": str(tmp_path / "c.pem"),
                "key_file": str(tmp_path / "k.pem"),
            }
        }
    )
    assert cfg.console is not None and cfg.console.tls


async def test_a_port_in_use_stops_the_start_naming_the_key(tmp_path: Path, analyzer) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen(1)
    port = taken.getsockname()[1]
    cfg = parse_config(
        {"daemon": {"data_dir": str(tmp_path)}, "console": {"listen": f"127.0.0.1:{port}"}}
    )
    daemon = Daemon(cfg, handle_signals=False, analyzer=analyzer, announce=lambda _l: None)
    try:
        with pytest.raises(
            DaemonStartError, match=f"console.listen: cannot listen on 127.0.0.1:{port}"
        ):
            await daemon.run()
    finally:
        taken.close()
