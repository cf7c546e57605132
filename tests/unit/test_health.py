"""Readiness of a service that answers with its database down (svckit/health.py, issue 15)."""

from svckit.health import Health

ALL_WELL = {"broker": True, "database": True, "migrations": True}


def test_a_service_is_unready_when_any_check_fails():
    health = Health()
    assert health.ready(ALL_WELL)
    assert not health.ready({**ALL_WELL, "broker": False})
    assert not health.ready({**ALL_WELL, "database": False, "migrations": False})


def test_one_that_serves_degraded_stays_ready_through_outages_but_not_on_an_old_schema():
    health = Health(serves_degraded=True)
    assert health.ready({**ALL_WELL, "broker": False})
    assert health.ready({"broker": False, "database": False, "migrations": False})
    assert not health.ready({**ALL_WELL, "migrations": False})
