"""OAuth2 tokens through the gateway (issue 10), on a real broker and SQLite and PostgreSQL:
the password and refresh grants (form and JSON), rotating refresh tokens, revocation the moment
a member leaves, moves or changes role, login throttling, a lockout of the (username, address)
pair that a stranger cannot turn against the member, its lifting, the same answer and time for
an unknown username, and the failures counted in a metric."""

from __future__ import annotations

import re
import statistics
import time
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

import pytest
import requests
from argon2 import PasswordHasher
from nameko.standalone.rpc import ServiceRpcProxy
from sqlalchemy import select

from contracts.catalogue_check import validate_published
from services.staffing.models import StaffMember
from services.staffing.seed import seed_org
from tests.integration import amqp, harness

get, post = (partial(call, timeout=10) for call in (requests.get, requests.post))
NOW = datetime(2026, 3, 3, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a working Tuesday
# Tight schedules so that a test sees delays and a lockout in a few attempts; the address is
# 127.0.0.1 here unless a test says otherwise, so the username's and the address's throttles
# are set out of the way (each tested on its own below).
LOGIN = {"per_pair": {"free": 2, "base_seconds": 1, "max_delay_seconds": 60, "lockout_after": 4},
         "per_username": {"free": 1000}, "per_address": {"free": 1000}}


def start(stores, run_service, amqp_uri, pinned=True, login=None, **gateway_config):
    seed_org(stores["staffing"], harness.PASSWORD)
    run_service("staffing", at=NOW if pinned else None, LOGIN=login or LOGIN)
    gateway = run_service("gateway", **({"GATEWAY": {**harness.config(amqp_uri)["GATEWAY"],
                                                     **gateway_config}}
                                        if gateway_config else {}))
    with stores["staffing"].transaction() as session:
        ids = {m.username: m.id for m in session.scalars(select(StaffMember))}
    port = harness.http_port(gateway)
    return {"api": f"http://127.0.0.1:{port}/api", "metrics": f"http://127.0.0.1:{port}/metrics",
            "id": ids, "amqp_uri": amqp_uri}


def token(api: str, username: str, password: str = harness.PASSWORD, form: bool = False,
          address: str | None = None):
    """A password grant; ``address``: the client as a trusted proxy names it."""
    body = {"grant_type": "password", "username": username, "password": password}
    headers = {"X-Forwarded-For": address} if address else {}
    return post(f"{api}/auth/token", headers=headers,
                **({"data": body} if form else {"json": body}))


def login(api: str, username: str) -> dict:
    response = token(api, username)
    assert response.status_code == 200, response.text
    return response.json()


def bearer(grant: dict) -> dict:
    return {"Authorization": f"Bearer {grant['access_token']}"}


def refresh(api: str, refresh_token: str) -> requests.Response:
    return post(f"{api}/auth/token",
                data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def test_password_grant_as_a_form_or_json_and_refresh_tokens_that_rotate(
        stores, hotline_staff, run_service, amqp_uri):
    api = start(stores, run_service, amqp_uri)["api"]
    by_form = token(api, "agent01", form=True)
    assert by_form.status_code == 200, by_form.text
    grant = by_form.json()
    assert grant["token_type"] == "Bearer" and grant["expires_in"] == 15 * 60
    assert grant["staff"]["username"] == "agent01" and grant["refresh_token"]
    assert by_form.headers["Cache-Control"] == "no-store"
    assert token(api, "agent01").status_code == 200  # JSON as well
    assert get(f"{api}/org", headers=bearer(grant)).status_code == 200

    rotated = refresh(api, grant["refresh_token"])
    assert rotated.status_code == 200, rotated.text
    second = rotated.json()
    assert second["refresh_token"] != grant["refresh_token"]
    assert get(f"{api}/org", headers=bearer(second)).status_code == 200
    # the first refresh token again: a stolen copy; the whole family is revoked
    replayed = refresh(api, grant["refresh_token"])
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"
    assert refresh(api, second["refresh_token"]).status_code == 400
    assert refresh(api, "x" * 43).status_code == 400

    for body, status, error in [
        ({"grant_type": "client_credentials"}, 400, "unsupported_grant_type"),
        ({"grant_type": "password", "username": "agent01"}, 400, "invalid_request"),
        ({"grant_type": "password", "username": "a", "password": "p" * 1025}, 400,
         "invalid_request"),
        ({"grant_type": "refresh_token"}, 400, "invalid_request"),
    ]:
        for kwargs in ({"json": body}, {"data": body}):
            answer = post(f"{api}/auth/token", **kwargs)
            assert answer.status_code == status, (body, answer.text)
            assert answer.json()["error"] == error and answer.json()["error_description"]
    repeated = post(f"{api}/auth/token", data="grant_type=password&username=a&username=b"
                    "&password=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert repeated.status_code == 400 and repeated.json()["error"] == "invalid_request"


def test_leaving_moving_or_changing_role_voids_the_tokens_at_once(
        stores, hotline_staff, run_service, amqp_uri):
    system = start(stores, run_service, amqp_uri)
    api, ids = system["api"], system["id"]
    events = amqp.Listener(amqp_uri, "staffing.events", "staff.*")
    try:
        hr = bearer(login(api, "hr01"))
        leaver, mover, promoted = login(api, "win06"), login(api, "win02"), login(api, "agent01")
        for grant in (leaver, mover, promoted):
            assert get(f"{api}/org", headers=bearer(grant)).status_code == 200

        departed = post(f"{api}/org/staff/{ids['win06']}/departure", json={"reason": "resigned"},
                        headers=hr)
        assert departed.status_code == 200, departed.text
        # the access token has 15 minutes to run; the gateway refuses it as soon as it hears
        harness.wait_for(lambda: get(f"{api}/org", headers=bearer(leaver)).status_code == 401,
                         timeout=5)
        assert refresh(api, leaver["refresh_token"]).status_code == 400  # revoked in staffing
        assert token(api, "win06").status_code == 400

        moved = post(f"{api}/org/staff/{ids['win02']}/transfer", json={"department": "metering"},
                     headers=hr)
        assert moved.status_code == 200, moved.text
        harness.wait_for(lambda: get(f"{api}/org", headers=bearer(mover)).status_code == 401,
                         timeout=5)
        # the refresh token died in the transfer's transaction: she signs in again, and the
        # new token carries the new department
        assert refresh(api, mover["refresh_token"]).json()["error"] == "invalid_grant"
        fresh = token(api, "win02")
        assert fresh.status_code == 200 and fresh.json()["staff"]["department"] == "metering"
        assert get(f"{api}/org", headers=bearer(fresh.json())).status_code == 200

        refused = post(f"{api}/org/staff/{ids['agent01']}/role",
                       json={"hotline_role": "duty_leader"}, headers=bearer(promoted))
        assert refused.status_code == 403  # HR or the hall director only
        assert post(f"{api}/org/staff/{ids['agent01']}/role", json={"hotline_role": "boss"},
                    headers=hr).status_code == 400
        changed = post(f"{api}/org/staff/{ids['agent01']}/role",
                       json={"hotline_role": "duty_leader"}, headers=hr)
        assert changed.status_code == 200 and changed.json()["role"] == "duty_leader"
        harness.wait_for(lambda: get(f"{api}/org", headers=bearer(promoted)).status_code == 401,
                         timeout=5)
        assert refresh(api, promoted["refresh_token"]).status_code == 400
        fresh = token(api, "agent01")
        assert fresh.status_code == 200 and fresh.json()["staff"]["role"] == "duty_leader"

        published = {e["type"]: e for e in events.drain(expect=3)}
        assert {"staff.left", "staff.transferred", "staff.role_changed"} <= published.keys()
        role_changed = published["staff.role_changed"]
        validate_published(role_changed)
        assert role_changed["payload"]["from_role"] == "seat_agent"
        assert role_changed["payload"]["to_role"] == "duty_leader"
    finally:
        events.close()

    # a gateway that starts later learns the recent revocations from staffing
    late = harness.http_port(run_service("gateway"))
    assert get(f"http://127.0.0.1:{late}/api/org", headers=bearer(mover)).status_code == 401
    assert get(f"http://127.0.0.1:{late}/api/org", headers=hr).status_code == 200


def cheap_passwords(store, *usernames: str) -> None:
    """Real Argon2 at its lowest cost for these members (a verification costs what the stored
    hash says): a test of many logins then spends milliseconds, not seconds, on hashing."""
    hashed = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(harness.PASSWORD)
    with store.transaction() as session:
        for member in session.scalars(select(StaffMember)
                                      .where(StaffMember.username.in_(usernames))):
            member.password_hash = hashed


def _failures(metrics_url: str) -> dict[str, float]:
    page = requests.get(metrics_url, timeout=5).text
    return {reason: float(value) for reason, value in re.findall(
        r'^csc_login_failures_total\{reason="([a-z_]+)"\} ([0-9.e+]+)$', page, re.M)}


def test_failed_logins_slow_down_then_lock_and_hr_lifts_the_lock(
        stores, hotline_staff, run_service, amqp_uri):
    system = start(stores, run_service, amqp_uri)  # staffing's clock moves when told
    cheap_passwords(stores["staffing"], "hr01", "agent01", "agent02")  # answers, not timing
    api, ids, metrics = system["api"], system["id"], system["metrics"]
    before = _failures(metrics)
    hr = bearer(login(api, "hr01"))
    answers = {}
    with ServiceRpcProxy("staffing", {"AMQP_URI": amqp_uri}) as staffing:
        for start_at, username in ((0, "agent02"), (60, "ghost")):  # known, unknown: alike
            staffing.set_test_clock((NOW + timedelta(seconds=start_at)).isoformat())
            seen = []
            for _ in range(3):  # two free failures, the third starts a one-second delay
                seen.append((token(api, username, "wrong").status_code, None))
            early = token(api, username)  # even the right password waits, before any hashing
            seen.append((early.status_code, early.headers.get("Retry-After")))
            # the delay passes for staffing; the gateway's memory of it (a real second) passed
            # while it held that answer back for a second
            staffing.set_test_clock((NOW + timedelta(seconds=start_at + 1.5)).isoformat())
            seen.append((token(api, username, "wrong").status_code, None))  # the 4th: locked
            locked = token(api, username)
            seen.append((locked.status_code, locked.json()["error"]))
            answers[username] = seen
    assert answers["agent02"] == answers["ghost"] == [
        (400, None), (400, None), (400, None), (429, "1"), (400, None), (400, "invalid_grant")]

    assert post(f"{api}/org/staff/{ids['agent02']}/unlock",
                headers=bearer(login(api, "agent01"))).status_code == 403
    lifted = post(f"{api}/org/staff/{ids['agent02']}/unlock", headers=hr)
    assert lifted.status_code == 200 and lifted.json()["was_locked"] is True
    assert token(api, "agent02").status_code == 200

    after = _failures(metrics)
    counted = {reason: after.get(reason, 0) - before.get(reason, 0) for reason in after}
    assert counted["bad_credentials"] >= 6 and counted["throttled"] >= 2
    assert counted["locked"] >= 3


def test_a_strangers_failures_lock_out_only_their_own_address(
        stores, hotline_staff, run_service, amqp_uri):
    """11 wrong passwords for agent02 from X lock X out for agent02 only; she signs in from Y,
    where she signed in before, although the username's delay now stands for addresses she
    never used (Z); HR's lift clears both. The addresses come through a trusted proxy."""
    config = {"per_pair": {"free": 10, "lockout_after": 10},
              "per_username": {"free": 9, "base_seconds": 30, "max_delay_seconds": 30},
              "per_address": {"free": 1000}}
    system = start(stores, run_service, amqp_uri, pinned=False, login=config,
                   trusted_proxies="127.0.0.1")
    cheap_passwords(stores["staffing"], "hr01", "agent01", "agent02")
    api, metrics = system["api"], system["metrics"]
    x, y, z = "203.0.113.7", "198.51.100.20", "192.0.2.33"
    before = _failures(metrics)
    hr = bearer(login(api, "hr01"))
    assert token(api, "agent02", address=y).status_code == 200  # Y: known from now on

    codes = [token(api, "agent02", f"guess{n}", address=x).json()["code"] for n in range(11)]
    assert codes == ["bad_credentials"] * 9 + ["locked"] * 2  # the 10th locks as it fails
    refused = token(api, "agent02", address=x)  # X is locked for her, right password or not
    assert refused.status_code == 400 and refused.json()["code"] == "locked"
    assert token(api, "agent01", address=x).status_code == 200  # X, another username: free

    assert token(api, "agent02", address=y).status_code == 200  # the member is not locked out
    slowed = token(api, "agent02", address=z)  # a new address waits the username's delay
    assert slowed.status_code == 429 and 1 <= int(slowed.headers["Retry-After"]) <= 30

    lifted = post(f"{api}/org/staff/{system['id']['agent02']}/unlock", headers=hr)
    assert lifted.status_code == 200 and lifted.json()["was_locked"] is True
    assert token(api, "agent02", address=x).status_code == 200
    assert token(api, "agent02", address=z).status_code == 200

    after = _failures(metrics)
    counted = {reason: after.get(reason, 0) - before.get(reason, 0) for reason in after}
    assert counted["bad_credentials"] >= 9 and counted["locked"] >= 3
    assert counted["throttled"] >= 1


def test_an_address_is_throttled_across_usernames(stores, hotline_staff, run_service, amqp_uri):
    login_config = {"per_username": {"free": 100}, "per_address": {"free": 3, "base_seconds": 5}}
    api = start(stores, run_service, amqp_uri, pinned=False, login=login_config)["api"]
    statuses = [token(api, f"user{n}", "wrong").status_code for n in range(4)]
    assert statuses == [400, 400, 400, 400]
    slowed = token(api, "agent01")  # right password, other username, same address
    assert slowed.status_code == 429 and slowed.json()["error"] == "slow_down"
    assert 1 <= int(slowed.headers["Retry-After"]) <= 5


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)
def test_an_unknown_username_answers_like_a_wrong_password_in_the_same_time(
        stores, hotline_staff, run_service, amqp_uri):
    config = {"per_pair": {"free": 100}, "per_username": {"free": 100},
              "per_address": {"free": 1000}}
    api = start(stores, run_service, amqp_uri, pinned=False, login=config)["api"]

    def timed(username: str) -> tuple[float, dict]:
        started = time.perf_counter()
        response = token(api, username, "wrong")
        return time.perf_counter() - started, response.json()

    token(api, "agent01", "wrong")  # warm up
    known = [timed("agent01") for _ in range(4)]
    unknown = [timed(f"nobody{n}") for n in range(4)]
    assert {str(body) for _, body in known} == {str(body) for _, body in unknown}
    known_s = statistics.median(t for t, _ in known)
    unknown_s = statistics.median(t for t, _ in unknown)
    assert unknown_s > 0.05  # a hash was computed (before issue 10: 4 ms against 166 ms)
    # the same work either way: before issue 10 the ratio was 40 (4 ms against 166 ms); the
    # bound is wide because this machine is shared and noisy, the benchmark measures finer
    assert 1 / 3 < unknown_s / known_s < 3, (known_s, unknown_s)
