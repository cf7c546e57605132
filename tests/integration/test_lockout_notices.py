"""A login lockout reaches those who may lift it (issue 10 follow-up), on a real broker and
SQLite: failed logins lock agent02's address; the acting HR head and hall director find a
notice in their inbox (agent02 none), HR lists the lock and lifts it, and the notices say so.
In a real browser HR follows the notice to the Locked logins page and lifts it there."""

from __future__ import annotations

import json

import pytest
from selenium.webdriver.common.by import By
from sqlalchemy import select

from contracts.catalogue_check import validate_published
from tests.browser.chrome import available, chromium
from tests.integration import harness
from tests.integration.test_console_browser import go, sign_in, visible, wait
from tests.integration.test_tokens import bearer, cheap_passwords, get, login, post, start, token

EXTRA_DATABASES = ("inbox",)  # tests/conftest.py db_urls
LOCK_AFTER = 3
LOGIN = {"per_pair": {"free": 10, "lockout_after": LOCK_AFTER},
         "per_username": {"free": 1000}, "per_address": {"free": 1000}}


@pytest.fixture
def office(stores, inbox_store, hotline_staff, run_service, amqp_uri):
    """staffing (demo organisation, tight lockout), inbox and gateway; cheap passwords."""
    system = start(stores, run_service, amqp_uri, pinned=False, login=LOGIN)
    run_service("inbox")
    cheap_passwords(stores["staffing"], "hr01", "director01", "agent01", "agent02")
    return system


def lock_out(api: str, username: str) -> None:
    codes = [token(api, username, "wrong").json()["code"] for _ in range(LOCK_AFTER)]
    assert codes == ["bad_credentials"] * (LOCK_AFTER - 1) + ["locked"]


def published(store, event_type: str) -> list[dict]:
    with store.transaction() as session:
        table = store.outbox
        rows = session.execute(select(table.c.body).where(table.c.event_type == event_type))
        return [json.loads(row.body) for row in rows]


def lockout_notices(api: str, headers: dict) -> list[dict]:
    page = get(f"{api}/inbox", headers=headers).json()
    return [n for n in page["items"] if n["kind"] == "login.locked_out"]


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_a_lockout_reaches_hr_and_the_director_who_list_and_lift_it(office, stores):
    api, ids = office["api"], office["id"]
    hr, director = bearer(login(api, "hr01")), bearer(login(api, "director01"))
    agent01, agent02 = bearer(login(api, "agent01")), bearer(login(api, "agent02"))
    lock_out(api, "agent02")

    [event] = published(stores["staffing"], "login.locked_out")
    validate_published(event)
    assert {r["staff_id"] for r in event["payload"]["notify"]} == {ids["hr01"],
                                                                    ids["director01"]}
    for reader in (hr, director):
        [notice] = harness.wait_for(lambda reader=reader: lockout_notices(api, reader))
        assert notice["subject"] == {"type": "login_lockout", "id": str(ids["agent02"])}
        assert notice["params"]["address"] == "127.0.0.1" and not notice["read_at"]
        assert "password" not in json.dumps(notice)
    assert lockout_notices(api, agent02) == []

    listed = get(f"{api}/org/lockouts?limit=1", headers=hr).json()
    assert [(i["staff_id"], i["address"], i["failures"]) for i in listed["items"]] == [
        (ids["agent02"], "127.0.0.1", LOCK_AFTER)] and listed["next"] is None
    assert get(f"{api}/org/lockouts", headers=agent01).status_code == 403
    bad = get(f"{api}/org/lockouts?cursor=nonsense", headers=hr)
    assert bad.status_code == 400 and bad.headers["Content-Type"].startswith(
        "application/problem+json")

    assert post(f"{api}/org/staff/{ids['agent02']}/unlock", headers=hr).json()["was_locked"]
    [lifted] = published(stores["staffing"], "login.lockout_lifted")
    validate_published(lifted)
    assert lifted["payload"]["lifted_by"] == ids["hr01"]
    settled = harness.wait_for(lambda: [n for n in lockout_notices(api, director)
                                        if n["read_at"] and n["params"].get("lifted_at")])
    assert settled[0]["params"]["lifted_by"] == ids["hr01"]
    assert get(f"{api}/org/lockouts", headers=hr).json()["items"] == []
    assert token(api, "agent02").status_code == 200

    # the attempt that locks the address gives the right password: the lock goes with it, and
    # the notices of it are settled (whichever of the two events the inbox handles first)
    for _ in range(LOCK_AFTER - 1):
        token(api, "agent01", "wrong")
    assert token(api, "agent01").status_code == token(api, "agent01").status_code == 200
    reasons = [e["payload"]["reason"] for e in published(stores["staffing"],
                                                         "login.lockout_lifted")]
    assert reasons == ["lifted", "signed_in"]
    harness.wait_for(lambda: [n for n in lockout_notices(api, hr)
                              if n["params"]["username"] == "agent01"
                              and n["params"].get("lift_reason") == "signed_in"])


@pytest.mark.skipif(not available(), reason="needs chromium and chromium-driver")
@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_hr_follows_the_notice_and_lifts_the_lock_in_the_console(
        office, stores, run_service):
    api, ids = office["api"], office["id"]
    base = api.removesuffix("/api")
    lock_out(api, "agent02")
    with chromium() as driver:
        driver.get(base + "/#/inbox")
        sign_in(driver, "hr01")
        go(driver, base, "inbox", ".notice-item.unread")
        notice = visible(driver, ".notice-item.unread button.link")
        assert "agent02" in notice.text and "127.0.0.1" in notice.text
        notice.click()
        wait(driver).until(lambda d: d.current_url.endswith("#/lockouts"))
        row = visible(driver, f'#lockouts button[data-staff="{ids["agent02"]}"]')
        assert "127.0.0.1" in driver.find_element(By.ID, "lockouts").text
        row.click()
        wait(driver).until(lambda d: not d.find_elements(
            By.CSS_SELECTOR, f'#lockouts button[data-staff="{ids["agent02"]}"]'))
        errors = [e for e in driver.get_log("browser") if e.get("source") == "javascript"]
        assert errors == []
    assert token(api, "agent02").status_code == 200
