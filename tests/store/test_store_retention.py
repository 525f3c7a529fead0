"""Retention deletes exactly the alerts (and crops) that are due, audits the deletion, and
leaves no trace of the deleted crops in the database files."""

from __future__ import annotations

import json
from pathlib import Path

from lfr.store import AlertRecord, Store
from lfr.store.db import DB_FILENAME

DAY = 86_400.0
NOW = 1_800_000_000.0


def _alert(store: Store, age_days: float, tag: int, watchlist: str = "wl") -> str:
    crop = b"\xff\xd8" + f"CROP-MARKER-{tag:04d}".encode() * 20
    return store.alerts.record(
        AlertRecord(
            "cam",
            NOW - age_days * DAY,
            watchlist,
            "h" * 64,
            f"p{tag}",
            0.5,
            0.36,
            tag,
            crop_jpeg=crop,
        )
    ).alert_id


def test_retention_deletes_exactly_what_is_due(store: Store, home: Path, cli) -> None:
    ages = {0: 0.5, 1: 10, 2: 30.99, 3: 31.01, 4: 45, 5: 400}
    ids = {tag: _alert(store, age, tag, "wl" if tag % 2 else "other") for tag, age in ages.items()}
    result = store.retention.purge_alerts(alerts_days=31, now=NOW, actor="retention")
    assert result.alerts == 3 and result.crops == 3
    assert result.by_watchlist == {"wl": 2, "other": 1}  # tags 3, 5 -> wl; 4 -> other
    kept = {a.alert_id for a in store.alerts.list_since(0)}
    assert kept == {ids[t] for t in (0, 1, 2)}
    record = store.audit.records(action_prefix="retention.")[-1]
    assert record.details["alerts"] == 3 and record.details["crops"] == 3
    assert record.details["by_watchlist"] == {"wl": 2, "other": 1}
    assert store.audit.verify().ok
    # a second pass has nothing to do and records nothing
    assert store.retention.purge_alerts(alerts_days=31, now=NOW).alerts == 0
    assert len(store.audit.records(action_prefix="retention.")) == 1
    assert store.retention.deleted_for("wl") == {"alerts": 2}
    # the deleted crops' bytes are gone from the files, the kept ones are still there
    raw = b"".join(p.read_bytes() for p in home.iterdir() if p.name.startswith(DB_FILENAME))
    for tag in (3, 4, 5):
        assert f"CROP-MARKER-{tag:04d}".encode() not in raw
    assert b"CROP-MARKER-0001" in raw


def test_cli_purge_uses_days(store: Store, cli) -> None:
    import time

    now = time.time()
    store.alerts.record(AlertRecord("cam", now - 3 * DAY, "wl", "h" * 64, "p", 0.5, 0.36, 1))
    store.alerts.record(AlertRecord("cam", now - 1 * DAY, "wl", "h" * 64, "q", 0.5, 0.36, 2))
    result = cli("alerts", "purge", "--days", "2")
    assert result.code == 0 and "deleted 1 alert(s)" in result.out
    assert [a.identity for a in store.alerts.list_since(0)] == ["q"]
    assert cli("alerts", "purge", "--days", "0").code != 0


def test_purge_due_handles_expired_watchlists_and_old_alerts(store: Store) -> None:
    import time

    later = time.time() + 200
    store.watchlists.create("short", actor="t", expires_at=later - 100)
    store.watchlists.create("long", actor="t", expires_at=later + 10_000)
    for tag, age in ((1, 40), (2, 1)):
        store.alerts.record(
            AlertRecord("cam", later - age * DAY, "long", "h" * 64, f"p{tag}", 0.5, 0.36, tag)
        )
    purged, result = store.purge_due(alerts_days=31, now=later, actor="daemon")
    assert purged == ["short"] and [w.name for w in store.watchlists.all()] == ["long"]
    assert result.alerts == 1
    assert [a.identity for a in store.alerts.list_since(0)] == ["p2"]
    assert [(r.action, r.actor) for r in store.audit.records()][-2:] == [
        ("watchlist.expire", "daemon"),
        ("retention.alerts", "daemon"),
    ]


def test_retention_deletes_every_copy_of_the_alert_log(store: Store, home: Path) -> None:
    """The alert log obeys the same cutoff as the alerts: whole days past it are deleted, the
    day it falls in loses its expired lines, and an old single `alerts.jsonl` is split into
    private daily files first. One audited run does it all."""
    line = '{{"alert_id":"a{0}","ts":{1},"identity":"p{0}"}}'
    legacy = home / "alerts.jsonl"
    legacy.write_text("".join(line.format(f"L{age}", NOW - age * DAY) + "\n" for age in (40, 2)))
    legacy.chmod(0o644)
    for tag, age in enumerate((45, 31.5, 30.5, 0.1)):
        _alert(store, age, tag)
        store.alert_log.append(NOW - age * DAY, [line.format(tag, NOW - age * DAY)])
    result = store.retention.purge_alerts(alerts_days=31, now=NOW, actor="retention")
    assert not legacy.exists()
    files = store.alert_log.files()
    assert files and all((p.stat().st_mode & 0o777) == 0o600 for p in files)
    assert (home / "alerts").stat().st_mode & 0o777 == 0o700
    text = "".join(p.read_text() for p in files)
    kept = sorted(json.loads(x)["alert_id"] for x in text.splitlines())
    assert kept == ["a2", "a3", "aL2"]  # 30.5 and 0.1 days old, and the legacy line of 2
    assert all(json.loads(x)["ts"] >= NOW - 31 * DAY for x in text.splitlines())
    assert (result.alerts, result.log_lines) == (2, 3)  # 45, 31.5 and the legacy 40
    record = store.audit.records(action_prefix="retention.")[-1]
    assert (record.details["log_files"], record.details["log_lines"]) == (result.log_files, 3)
