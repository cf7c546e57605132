"""While the calls database is away callers are still answered: the call goes to the fallback
queue, is kept in the spool, and becomes its work order (the id the caller was told, at the
call's own time) once the database is back, once (issue 15, services/calls/spool.py)."""

import time
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from services.calls.models import Call, WorkOrder
from services.staffing.models import CallArrival
from tests.conftest import PG_ADMIN_URL
from tests.integration import amqp, harness
from tests.integration.client import call, login, routed_order


@contextmanager
def database_away(url: str):
    """The database refuses every connection, and those open are ended, until the block
    ends (the PostgreSQL server itself, shared with other tests, keeps running)."""
    name = make_url(url).database
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false'))
        connection.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                "WHERE datname = :name"), {"name": name})
    try:
        yield
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true'))
        admin.dispose()


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_a_call_while_the_database_is_away_becomes_its_order_once_it_is_back(
    system, db_urls
):
    ended = amqp.Listener(system["amqp_uri"], "calls.events", "call.ended")
    created = amqp.Listener(system["amqp_uri"], "calls.events", "work_order.created")
    with database_away(db_urls["calls"]):
        before = datetime.now(UTC)
        transcript = call(system, digits=["2"])
        after = datetime.now(UTC)
        told = transcript.variables.get("WORK_ORDER_ID")
        assert transcript.ended == "completed", transcript.format()
        assert told and transcript.variables["ROUTE_TARGET"] == "Queue(95598)"
        assert ended.drain(expect=1, timeout=1.0) == []  # nothing stored, nothing announced
        health = requests.get(f"http://127.0.0.1:{harness.http_port(system['calls'])}"
                              "/health/ready", timeout=10)
        assert (health.status_code, health.json()["status"]) == (200, "degraded")  # in service

    [event] = ended.drain(expect=1, timeout=15)
    assert (event["payload"]["call_uniqueid"], event["payload"]["work_order_id"],
            event["payload"]["outcome"]) == (transcript.uniqueid, told, "fallback_queue")
    [opened] = created.drain(expect=1)
    assert opened["payload"]["work_order_id"] == told
    with system["stores"]["calls"].transaction() as session:
        order = session.get(WorkOrder, told)
        record = session.get(Call, transcript.uniqueid)
    assert before <= record.started_at <= order.created_at <= after  # the call's own time
    assert (order.category, record.outcome) == ("fault_report", "fallback_queue")
    assert routed_order(system, login(system), told)["assignee"]  # staffing routes it then
    assert ended.drain(expect=1, timeout=2.5) == []  # once, whatever the replays
    assert created.drain(expect=1, timeout=0.1) == []
    harness.wait_for(lambda: not list(Path(
        system["calls"].config["SPOOL"]["folder"]).glob("*.jsonl")))


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_call_while_the_sqlite_file_is_unreachable_is_stored_once_it_is_back(
    stores, hotline_staff, run_service, amqp_uri, db_urls
):
    """The calls service starts with its database file unreachable (a directory where the file
    should be), answers a call into the spool, and stores it once the file is back."""
    path = Path(make_url(db_urls["calls"]).database)
    stores["calls"].dispose()  # its last connection closed: the WAL is folded into the file
    path.rename(path.with_suffix(".away"))
    path.mkdir()  # "unable to open database file"
    system = start_system_without_customer(run_service, amqp_uri, stores)
    ended = amqp.Listener(amqp_uri, "calls.events", "call.ended")
    transcript = call(system, digits=["1"])
    told = transcript.variables.get("WORK_ORDER_ID")
    assert told and transcript.variables["ROUTE_TARGET"] == "Queue(95598)"

    path.rmdir()
    path.with_suffix(".away").rename(path)
    [event] = ended.drain(expect=1, timeout=15)
    assert (event["payload"]["call_uniqueid"], event["payload"]["work_order_id"]) == (
        transcript.uniqueid, told)
    with stores["calls"].transaction() as session:
        assert session.get(WorkOrder, told).category == "inquiry"
        assert session.get(Call, transcript.uniqueid).outcome == "fallback_queue"
    assert ended.drain(expect=1, timeout=2.5) == []


def start_system_without_customer(run_service, amqp_uri, stores) -> dict:
    run_service("staffing")
    calls = run_service("calls")
    gateway = run_service("gateway")
    return {"agi": harness.agi_port(calls), "amqp_uri": amqp_uri, "stores": stores,
            "api": f"http://127.0.0.1:{harness.http_port(gateway)}/api", "calls": calls}


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_an_event_waits_out_its_handler_s_database_outage_instead_of_being_parked(
    system, db_urls
):
    """Staffing's database away for many times the retry budget (3 tries, 0.05 s apart in
    tests): its handlers spend no attempt on the outage and catch up once it is back."""
    with database_away(db_urls["staffing"]):
        transcript = call(system, digits=["2"])
        told = transcript.variables["WORK_ORDER_ID"]
        assert transcript.variables["ROUTE_TARGET"] == "Queue(95598)"  # staffing unanswering
        time.sleep(1.5)
    assert routed_order(system, login(system), told)["assignee"]

    def arrivals() -> list[str]:
        with system["stores"]["staffing"].transaction() as session:
            return list(session.scalars(select(CallArrival.call_uniqueid)))

    assert harness.wait_for(arrivals) == [transcript.uniqueid]  # call.ended, handled once
    for parked in ("evt-calls-work_order.created--staffing.on_work_order_created.dlq",
                   "evt-calls-call.ended--staffing.on_call_ended.dlq"):
        assert amqp.queue_depth(system["amqp_uri"], parked) == 0
