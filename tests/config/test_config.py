"""Config validation: every mistake is a ConfigError that names the key path."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from lfr.config import ConfigError, load_config
from lfr.config.sockets import MIB

GOOD = """
[daemon]
data_dir = "{data}"
[tracker]
threshold = 0.4
min_templates = 4
[socket]
tcp = "127.0.0.1:7878"
token_file = "token"
[[cameras]]
id = "gate-north"
url = "rtsp://127.0.0.1:8554/cam"
fps = 10
watchlist = "op-2026-11-27"
[[cameras]]
id = "file-cam"
url = "clip.mp4"
watchlist = "op-2026-11-27"
loop = true
[models]
threads = 2
providers = ["CPUExecutionProvider"]
[logging]
json = true
level = "debug"
"""


@pytest.fixture
def write(tmp_path: Path):
    (tmp_path / "clip.mp4").write_bytes(b"")

    def _write(text: str) -> Path:
        path = tmp_path / "lfr.toml"
        path.write_text(text.replace("{data}", str(tmp_path / "data")))
        return path

    return _write


def _error(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return str(info.value)


def test_a_full_config_loads_with_types_and_resolved_paths(write, tmp_path: Path) -> None:
    cfg = load_config(write(GOOD))
    assert cfg.daemon.data_dir == tmp_path / "data"
    assert cfg.tracker.threshold == 0.4 and cfg.tracker.settings == {"min_templates": 4}
    assert isinstance(cfg.tracker.settings["min_templates"], int)
    assert cfg.socket.unix == "lfr.sock" and cfg.socket.max_frame_bytes == MIB
    assert cfg.socket.unix_path(cfg.daemon.data_dir) == tmp_path / "data" / "lfr.sock"
    cam, filecam = cfg.cameras
    assert (cam.id, cam.fps, cam.loop, cam.watchlist) == (
        "gate-north",
        10.0,
        False,
        "op-2026-11-27",
    )
    assert isinstance(cam.fps, float)
    assert filecam.url == str(tmp_path / "clip.mp4")  # relative to the config file
    assert cfg.models.providers == ["CPUExecutionProvider"] and cfg.models.det_size == 640
    assert cfg.logging.json is True


def test_defaults_without_a_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LFR_HOME", str(tmp_path / "home"))
    cfg = load_config(None)
    assert cfg.daemon.data_dir == tmp_path / "home"
    assert cfg.cameras == [] and cfg.socket.tcp is None and cfg.tracker.threshold is None
    assert cfg.tracker.settings == {}, "the tracker's own defaults apply"


def test_overrides_nested_and_dotted(write, tmp_path: Path) -> None:
    path = write(GOOD)
    cfg = load_config(path, {"tracker.threshold": 0.5, "logging": {"level": "WARNING"}})
    assert cfg.tracker.threshold == 0.5 and cfg.logging.level == "WARNING"
    assert cfg.tracker.settings == {"min_templates": 4}  # the rest of the section is kept
    with pytest.raises(ConfigError, match=r"^tracker\.threshold: "):
        load_config(path, {"tracker": {"threshold": "high"}})


def test_digest_is_stable_and_sensitive(write) -> None:
    path = write(GOOD)
    reordered = write(
        GOOD.replace(
            "threshold = 0.4\nmin_templates = 4", "min_templates = 4 # comment\nthreshold = 0.4"
        )
    )
    assert load_config(path).digest() == load_config(reordered).digest()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", load_config(path).digest())
    assert load_config(path).digest() != load_config(path, {"tracker.min_templates": 5}).digest()


@pytest.mark.parametrize(
    ("edit", "key_path"),
    [
        # unknown keys, at every depth
        (("[daemon]", "[daemon]\ndata_dri = 'x'"), r"daemon\.data_dri: unknown key"),
        (("[logging]", "[loging]\n[logging]"), r"loging: unknown key"),
        (('id = "file-cam"', 'id = "file-cam"\nfsp = 5'), r"cameras\[1\]\.fsp: unknown key"),
        # wrong types
        (("fps = 10", 'fps = "10"'), r"cameras\[0\]\.fps: expected a number"),
        (("fps = 10", "fps = true"), r"cameras\[0\]\.fps: expected a number"),
        (
            ("min_templates = 4", "min_templates = 2.5"),
            r"tracker\.min_templates: expected an integer",
        ),
        (("json = true", 'json = "yes"'), r"logging\.json: expected true or false"),
        (
            ('providers = ["CPUExecutionProvider"]', 'providers = "CPU"'),
            r"models\.providers: expected an array",
        ),
        (
            ('providers = ["CPUExecutionProvider"]', "providers = [1]"),
            r"models\.providers\[0\]: expected a string",
        ),
        # values out of range
        (("fps = 10", "fps = 0"), r"cameras\[0\]\.fps: must be > 0"),
        (("fps = 10", "fps = -3"), r"cameras\[0\]\.fps: must be > 0"),
        (("threshold = 0.4", "threshold = 1.5"), r"tracker\.threshold: "),
        # tracker settings: names, types and ranges are the Rust tracker's
        (
            ("min_templates = 4", "min_tempaltes = 4"),
            r"tracker\.min_tempaltes: unknown key \(did you mean 'min_templates'",
        ),
        (
            ("min_templates = 4", "min_templates = 0"),
            r"^tracker\.min_templates: must be at least 1$",
        ),
        (
            ("min_templates = 4", "iou_threshold = 0.0"),
            r"^tracker\.iou_threshold: must be within \(0, 1\]$",
        ),
        (("min_templates = 4", "margin = true"), r"tracker\.margin: expected a number"),
        (("min_templates = 4", "settings = 1"), r"tracker\.settings: unknown key"),
        (('level = "debug"', 'level = "loud"'), r"logging\.level: must be one of"),
        (("threads = 2", "threads = 0"), r"models\.threads: "),
        # missing camera fields
        (('url = "rtsp://127.0.0.1:8554/cam"\n', ""), r"cameras\[0\]\.url: required key"),
        (('id = "file-cam"\n', ""), r"cameras\[1\]\.id: required key"),
        (
            ('fps = 10\nwatchlist = "op-2026-11-27"', "fps = 10"),
            r"cameras\[0\]\.watchlist: required key",
        ),
        # camera urls and ids
        (
            ('"rtsp://127.0.0.1:8554/cam"', '"ftp://127.0.0.1/cam"'),
            r"cameras\[0\]\.url: unsupported scheme",
        ),
        (('url = "clip.mp4"', 'url = "missing.mp4"'), r"cameras\[1\]\.url: no such file"),
        (('id = "file-cam"', 'id = "gate-north"'), r"cameras\[1\]\.id: duplicate camera id"),
        (('id = "file-cam"', 'id = "bad id!"'), r"cameras\[1\]\.id: must be"),
        (("fps = 10", "fps = 10\nloop = true"), r"cameras\[0\]\.loop: applies to files only"),
        # the socket: tcp needs a token, and a sane address
        (('token_file = "token"\n', ""), r"socket\.token_file: is required when socket\.tcp"),
        (('"127.0.0.1:7878"', '"127.0.0.1"'), r"socket\.tcp: must be 'host:port'"),
        (('"127.0.0.1:7878"', '"127.0.0.1:99999"'), r"socket\.tcp: must be 'host:port'"),
        (("[socket]", "[socket]\nmax_frame_bytes = 10"), r"socket\.max_frame_bytes: must be"),
        (('"127.0.0.1:7878"', '"0.0.0.0:7878"'), r"socket\.tcp: .* set socket\.allow_remote"),
        (('"127.0.0.1:7878"', '"lfr.example:7878"'), r"socket\.tcp: .* not a loopback"),
        (('"127.0.0.1:7878"', '"::1:7878"'), r"socket\.tcp: must be 'host:port'"),
        (("[socket]", "[socket]\nunix_reserved = 300"), r"socket\.unix_reserved: must be in"),
        (("[socket]", "[socket]\nauth_timeout_s = 0"), r"socket\.auth_timeout_s: must be > 0"),
        (("[socket]", "[socket]\nallow_remote = 1"), r"socket\.allow_remote: expected true"),
        (("[socket]", "[socket]\npreauth_frame_bytes = 10"), r"socket\.preauth_frame_bytes"),
    ],
)
def test_each_mistake_names_its_key_path(write, edit: tuple[str, str], key_path: str) -> None:
    old, new = edit
    assert old in GOOD, f"test setup: {old!r} not in the sample config"
    message = _error(write(GOOD.replace(old, new, 1)))
    assert re.search(key_path, message), message


@pytest.mark.parametrize(
    ("edit", "address"),
    [
        (('"127.0.0.1:7878"', '"[::1]:7878"'), ("::1", 7878)),
        (('"127.0.0.1:7878"', '"localhost:0"'), ("localhost", 0)),
        (('"127.0.0.1:7878"', '"0.0.0.0:7878"\nallow_remote = true'), ("0.0.0.0", 7878)),
        (('token_file = "token"', 'tokens_file = "tokens"'), ("127.0.0.1", 7878)),
    ],
)
def test_socket_addresses_and_tokens_that_are_accepted(
    write, edit: tuple[str, str], address: tuple[str, int]
) -> None:
    cfg = load_config(write(GOOD.replace(*edit, 1)))
    assert cfg.socket.tcp_address() == address


DOCUMENTED_EXAMPLE = """
[daemon]
data_dir = "/var/lib/lfr"          # default: $LFR_HOME
[tracker]
threshold = 0.363                  # default: the watchlist's, else the model's
[socket]
unix = "lfr.sock"                  # relative to data_dir; the default
tcp = "127.0.0.1:7878"             # optional; then token_file is required
token_file = "token"
[[cameras]]
id = "gate-north"
url = "rtsp://127.0.0.1:8554/cam"  # or a file path, http(s)://, /dev/videoN
fps = 10                           # analysis rate cap
watchlist = "op-2026-11-27"
loop = false                       # files only: play again at the end, paced in real time
"""


def test_the_documented_example_loads(write) -> None:
    cfg = load_config(write(DOCUMENTED_EXAMPLE))
    assert cfg.daemon.data_dir == Path("/var/lib/lfr")
    assert cfg.socket.token_path(cfg.daemon.data_dir) == Path("/var/lib/lfr/token")
    assert cfg.cameras[0].fps == 10.0 and cfg.tracker.threshold == 0.363


def test_unknown_key_suggests_the_close_one(write) -> None:
    assert "did you mean 'data_dir'?" in _error(write("[daemon]\ndatadir = 'x'\n"))


def test_sections_must_have_their_shape(write) -> None:
    assert re.match(r"daemon: expected a table", _error(write("daemon = 'x'\n")))
    assert re.match(r"cameras: expected an array", _error(write('cameras = "gate"\n')))
    assert re.match(r"cameras\[0\]: expected a table", _error(write("cameras = [1]\n")))


def test_invalid_toml_and_missing_file_are_config_errors(write, tmp_path: Path) -> None:
    assert "not valid TOML" in _error(write("[daemon\n"))
    assert "cannot read config" in _error(tmp_path / "absent.toml")


def test_config_error_is_an_lfr_error_with_its_exit_code(write) -> None:
    from lfr.errors import LfrError

    with pytest.raises(LfrError) as info:
        load_config(write(GOOD.replace("fps = 10", "fps = 0")))
    assert info.value.exit_code == 2


def test_values_python_refused_are_the_trackers_to_judge(write) -> None:
    """One range check, Rust's: an IoU threshold of 1 and a re-embed interval of 0 are valid."""
    cfg = load_config(write("[tracker]\niou_threshold = 1.0\nreembed_interval_s = 0\n"))
    assert cfg.tracker.settings == {"iou_threshold": 1.0, "reembed_interval_s": 0.0}


def test_matching_and_tracking_keys_are_deprecated_aliases(
    write, caplog: pytest.LogCaptureFixture
) -> None:
    old = "[matching]\nthreshold = 0.4\nmin_hits = 3\ncooldown_s = 12\n[tracking]\nn_init = 3\n"
    with caplog.at_level("WARNING", logger="lfr.config"):
        cfg = load_config(write(old))
    assert cfg.tracker.threshold == 0.4
    assert cfg.tracker.settings == {"min_templates": 3, "cooldown_s": 12.0, "n_init": 3}
    warned = " | ".join(r.getMessage() for r in caplog.records)
    for pair in (
        "matching.threshold is deprecated, use tracker.threshold",
        "matching.min_hits is deprecated, use tracker.min_templates",
        "matching.cooldown_s is deprecated, use tracker.cooldown_s",
        "tracking.n_init is deprecated, use tracker.n_init",
    ):
        assert pair in warned, warned
    new = "[tracker]\nthreshold = 0.4\nmin_templates = 3\ncooldown_s = 12\nn_init = 3\n"
    assert cfg.digest() == load_config(write(new)).digest(), "the same settings, the same hash"


def test_deprecated_sections_still_refuse_what_they_never_had(write) -> None:
    assert re.match(
        r"tracking\.margin: unknown key \(\[tracking\] is deprecated",
        _error(write("[tracking]\nmargin = 0.1\n")),
    )
    assert re.match(
        r"matching\.threshold: also set as tracker\.threshold",
        _error(write("[tracker]\nthreshold = 0.4\n[matching]\nthreshold = 0.5\n")),
    )
    assert re.match(
        r"^tracker\.n_init: must be at least 1", _error(write("[tracking]\nn_init = 0\n"))
    )


def test_audit_and_bundle_keys(write, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The audit key lives outside the data directory and is not the bundle key; both come
    from the environment by default and from the file (relative to it) when set there."""
    monkeypatch.setenv("LFR_AUDIT_KEY_FILE", str(tmp_path / "env" / "audit.key"))
    monkeypatch.setenv("LFR_BUNDLE_KEY_FILE", str(tmp_path / "env" / "bundle.key"))
    cfg = load_config(write('[daemon]\ndata_dir = "{data}"\n'))
    assert cfg.audit.key_file == tmp_path / "env" / "audit.key"
    assert cfg.watchlists.bundle_key_file == tmp_path / "env" / "bundle.key"
    cfg = load_config(
        write('[audit]\nkey_file = "keys/a.key"\n[watchlists]\nbundle_key_file = "keys/b.key"\n')
    )
    assert cfg.audit.key_file == tmp_path / "keys" / "a.key"
    assert cfg.watchlists.bundle_key_file == tmp_path / "keys" / "b.key"
    inside = write('[daemon]\ndata_dir = "{data}"\n[audit]\nkey_file = "{data}/k/audit.key"\n')
    assert _error(inside).startswith("audit.key_file: must be outside daemon.data_dir")
    same = write('[audit]\nkey_file = "k"\n[watchlists]\nbundle_key_file = "k"\n')
    assert _error(same).startswith("watchlists.bundle_key_file: must not be the audit key")
