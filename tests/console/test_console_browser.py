"""The console in a real browser (Debian's chromium, driven by Playwright) against a real
`lfr-run` watching the Hamilton clip: an officer logs in, sees the Lin-Manuel Miranda alert
within 2 s of it being raised with both images loaded, confirms it, and a second officer's
open console drops the card at once. Screenshots are kept under pytest's tmp dir."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from browser import add_user, browser, copy_home, lfr_run, login

from lfr.store import Store

PASSWORD = "a long enough password"
LIN = "#awaiting .card:has-text('Lin-Manuel Miranda')"


def _config(tmp_path: Path, home: Path, clip: Path | None) -> Path:
    config = tmp_path / "lfr.toml"
    camera = f'[[cameras]]\nid = "stage"\nurl = "{clip}"\nwatchlist = "wl"\nloop = true\n'
    config.write_text(
        f'[daemon]\ndata_dir = "{home}"\n'
        '[console]\nlisten = "127.0.0.1:0"\n' + (camera if clip else "")
    )
    return config


def _image_loaded(page, selector: str) -> bool:
    return page.eval_on_selector(selector, "img => img.complete && img.naturalWidth > 0")


def test_an_officer_confirms_the_alert_and_every_console_drops_it(
    lin_home: Path, hamilton_clip: Path, tmp_path: Path
) -> None:
    home = copy_home(lin_home, tmp_path)
    add_user(home, "olive", "officer", PASSWORD)
    add_user(home, "oscar", "officer", PASSWORD)
    config = _config(tmp_path, home, None)
    with lfr_run(config) as (url, daemon), browser() as chromium:
        first, second = chromium.new_context(), chromium.new_context()
        page, other = first.new_page(), second.new_page()
        login(page, url, "olive", PASSWORD)
        login(other, url, "oscar", PASSWORD)
        page.wait_for_selector("#conn.up")
        other.wait_for_selector("#conn.up")
        _config(tmp_path, home, hamilton_clip)  # the camera goes live with the pages open
        daemon.send_signal(signal.SIGHUP)
        card = page.wait_for_selector(LIN, timeout=60_000)
        seen_at = time.time()
        alert_id = card.get_attribute("data-alert-id")
        with Store.open(home) as store:
            alert = store.alerts.get(alert_id)
        assert seen_at - alert.recorded_at < 2.0, "the alert reached the page too late"
        page.wait_for_function(
            "id => [...document.querySelectorAll(`.card[data-alert-id='${id}'] img`)]"
            ".filter(i => i.complete && i.naturalWidth > 0).length >= 2",
            arg=alert_id,
            timeout=5_000,
        )
        assert _image_loaded(page, f".card[data-alert-id='{alert_id}'] img.probe")
        assert _image_loaded(page, f".card[data-alert-id='{alert_id}'] img.enrolled-photo")
        other.wait_for_selector(f"#awaiting .card[data-alert-id='{alert_id}']")
        page.screenshot(path=str(tmp_path / "live-before.png"))
        page.click(f".card[data-alert-id='{alert_id}'] button[data-verdict='confirmed']")
        other.wait_for_selector(
            f"#awaiting .card[data-alert-id='{alert_id}']", state="detached", timeout=2_000
        )
        page.wait_for_selector(f"#judged .card[data-alert-id='{alert_id}']", timeout=2_000)
        page.screenshot(path=str(tmp_path / "live-after.png"))
        other.screenshot(path=str(tmp_path / "other-after.png"))
    with Store.open(home) as store:
        judged = store.alerts.get(alert_id)
        trail = [
            r
            for r in store.audit.records(action_prefix="alert.adjudicate")
            if r.details["alert_id"] == alert_id
        ]
        logins = {r.actor for r in store.audit.records(action_prefix="console.login")}
    assert (judged.status, judged.adjudicated_by) == ("confirmed", "olive")
    assert [(r.actor, r.details["verdict"]) for r in trail] == [("olive", "confirmed")]
    assert logins == {"olive", "oscar"}
    assert (tmp_path / "live-before.png").stat().st_size > 10_000
