"""Sessions, roles and CSRF on a real console server: every check is on the server, so these
tests talk HTTP to it directly, as a script (or an attacker's page) would."""

from __future__ import annotations

import time

import trio
from console_support import Console, logged_in, login


async def test_healthz_answers_without_a_session(console: Console) -> None:
    async with console.client() as client:
        response = await client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"ok": True}


async def test_without_a_session_the_api_answers_401_and_pages_go_to_login(
    console: Console,
) -> None:
    console.emit()
    async with console.client() as client:
        for path in ("/api/alerts", "/api/live", "/api/events", "/api/cameras", "/api/audit"):
            response = await client.get(path)
            assert response.status_code == 401, path
            assert "log in" in response.json()["error"]
        alert_id = console.store.alerts.list_since(0)[0].alert_id
        crop = await client.get(f"/api/alerts/{alert_id}/crop.jpg")
        assert crop.status_code == 401
        page = await client.get("/alerts?camera=cam1")
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Falerts%3Fcamera%3Dcam1"


async def test_the_session_cookie_is_httponly_strict_and_every_face_is_no_store(
    console: Console,
) -> None:
    alert = console.emit()
    async with console.client() as client:
        response = await login(client, "olive")
        assert response.status_code == 303
        cookie = response.headers["set-cookie"]
        assert "lfr_session=" in cookie and "HttpOnly" in cookie
        assert "SameSite=strict" in cookie or "SameSite=Strict" in cookie
        assert "Secure" not in cookie  # plain HTTP on loopback; TLS sets it
        for path in ("/", "/alerts", f"/alerts/{alert['alert_id']}", "/api/live"):
            page = await client.get(path)
            assert page.status_code == 200, path
            assert page.headers["cache-control"] == "no-store", path
        crop = await client.get(f"/api/alerts/{alert['alert_id']}/crop.jpg")
    assert crop.status_code == 200 and crop.content == b"x"
    assert crop.headers["cache-control"] == "no-store"
    assert "frame-ancestors 'none'" in crop.headers["content-security-policy"]
    logins = console.store.audit.records(action_prefix="console.login")
    assert [(r.action, r.actor) for r in logins] == [("console.login", "olive")]


async def test_a_post_without_the_csrf_token_is_403_and_changes_nothing(console: Console) -> None:
    alert = console.emit()
    async with logged_in(console, "olive") as (client, csrf):
        url = f"/api/alerts/{alert['alert_id']}/verdict"
        refused = await client.post(url, json={"verdict": "confirmed"})
        wrong = await client.post(url, json={"verdict": "confirmed"}, headers={"X-CSRF-Token": "x"})
        assert (refused.status_code, wrong.status_code) == (403, 403)
        assert "CSRF" in refused.json()["error"]
        assert console.store.alerts.get(alert["alert_id"]).status == "raised"
        done = await client.post(url, json={"verdict": "confirmed"}, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 200 and done.json()["status"] == "confirmed"
    judged = console.store.alerts.get(alert["alert_id"])
    assert (judged.status, judged.adjudicated_by) == ("confirmed", "olive")
    trail = console.store.audit.records(action_prefix="alert.adjudicate")
    assert [(r.actor, r.details["alert_id"]) for r in trail] == [("olive", alert["alert_id"])]


async def test_roles_are_checked_on_the_server(console: Console) -> None:
    alert = console.emit()
    async with (
        logged_in(console, "olive") as (officer, officer_csrf),
        logged_in(console, "aud") as (auditor, auditor_csrf),
    ):
        create = await officer.post(
            "/watchlists",
            data={
                "name": "secret",
                "purpose": "p",
                "authorised_by": "a",
                "legal_basis": "b",
                "csrf_token": officer_csrf,
            },
        )
        assert create.status_code == 403
        enrol = await officer.post(
            "/watchlists/wl/identities", data={"identity_id": "x", "csrf_token": officer_csrf}
        )
        assert enrol.status_code == 403
        assert (await officer.get("/api/audit")).status_code == 403
        assert (await officer.get("/users")).status_code == 403
        crop = await auditor.get(f"/api/alerts/{alert['alert_id']}/crop.jpg")
        assert crop.status_code == 403  # auditors read reports and the audit, and see no face
        verdict = await auditor.post(
            f"/api/alerts/{alert['alert_id']}/verdict",
            json={"verdict": "false"},
            headers={"X-CSRF-Token": auditor_csrf},
        )
        assert verdict.status_code == 403
        assert (await auditor.get("/api/audit")).status_code == 200
    assert [w.name for w in console.store.watchlists.all()] == ["wl"]
    assert console.store.alerts.get(alert["alert_id"]).status == "raised"


async def test_wrong_passwords_are_throttled_with_back_off(console: Console) -> None:
    async with console.client() as client:
        codes = [(await login(client, "olive", "wrong password")).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 401]
        locked = await login(client, "olive")  # the right password, during the wait
        assert locked.status_code == 429 and int(locked.headers["retry-after"]) >= 1
        await trio.sleep(1.1)
        assert (await login(client, "olive", "wrong again")).status_code == 401
        t0 = time.monotonic()
        assert (await login(client, "olive")).status_code == 429  # now 2 s
        await trio.sleep(2.1 - (time.monotonic() - t0))
        assert (await login(client, "olive")).status_code == 303
    failed = console.store.audit.records(action_prefix="console.login_failed")
    assert len(failed) == 5 and all(r.details["user"] == "olive" for r in failed)


async def test_an_expired_session_redirects_to_login(console: Console) -> None:
    async with logged_in(console, "olive") as (client, _csrf):
        assert (await client.get("/")).status_code == 200
        console.clock.now += 601  # idle longer than the idle timeout
        page = await client.get("/")
        assert page.status_code == 303 and page.headers["location"].startswith("/login")
        assert (await client.get("/api/alerts")).status_code == 401


async def test_a_disabled_account_is_logged_out_and_cannot_log_in(console: Console) -> None:
    async with logged_in(console, "olive") as (client, _csrf):
        console.store.users.set_disabled("olive", True, actor="test")
        assert (await client.get("/api/alerts")).status_code == 401
        assert (await login(client, "olive")).status_code == 401
