"""The spool of calls taken while the database was down (services/calls/spool.py) and how a
spooled call becomes its work order and call record, once (hotline.store_spooled)."""

import fcntl
import json
import os
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from contracts.events import Category
from services.calls.hotline import store_spooled
from services.calls.models import Base, Call, WorkOrder
from services.calls.spool import REJECTED_FILE, REPLAY_BATCH, Spool, SpooledCall
from svckit.db import ServiceStore

T = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def a_record(uniqueid: str = "1764.1", **changes) -> SpooledCall:
    values = dict(uniqueid=uniqueid, channel="PJSIP/trunk-1", caller_number="13800138000",
                  caller_name="张三", dnid="95598", started_at=T,
                  ended_at=T + timedelta(seconds=20), digits="2",
                  category=Category.FAULT_REPORT, outcome="fallback_queue",
                  route_target="Queue(95598)", work_order_id=f"order-{uniqueid}",
                  opened_at=T + timedelta(seconds=12))
    return SpooledCall(**{**values, **changes})


def test_kept_calls_are_replayed_in_order_and_the_file_removed(tmp_path):
    spool = Spool(tmp_path)
    spool.keep(a_record("1"))
    spool.keep(a_record("2"))
    stored = []
    assert spool.replay(stored.extend) == 2
    assert [r.uniqueid for r in stored] == ["1", "2"]
    assert not spool.path.exists()
    spool.keep(a_record("3"))  # the next call after a replay starts a new file
    assert [json.loads(line)["uniqueid"] for line in spool.path.read_text().splitlines()] == ["3"]


def test_a_failed_store_keeps_the_file_for_the_next_pass(tmp_path):
    spool = Spool(tmp_path)
    first = [f"a{n}" for n in range(REPLAY_BATCH)]  # one transaction's worth, then one more
    for uniqueid in [*first, "b"]:
        spool.keep(a_record(uniqueid))
    stored = []

    def database_down_at_b(batch):
        if batch[0].uniqueid == "b":
            raise ConnectionError("database down")
        stored.extend(record.uniqueid for record in batch)

    assert spool.replay(database_down_at_b) == REPLAY_BATCH
    assert spool.path.exists()
    assert spool.replay(lambda batch: stored.extend(r.uniqueid for r in batch)) == 51
    assert stored == [*first, *first, "b"]  # stored again: the store is idempotent (below)


def test_an_unreadable_line_is_set_aside_not_dropped(tmp_path):
    spool = Spool(tmp_path)
    spool.keep(a_record("1"))
    with spool.path.open("ab") as torn:
        torn.write(b'{"uniqueid": "2", "chan')  # a write cut short by a crash
    stored = []
    assert spool.replay(lambda batch: stored.extend(r.uniqueid for r in batch)) == 1
    assert stored == ["1"]
    assert (tmp_path / REJECTED_FILE).read_bytes() == b'{"uniqueid": "2", "chan\n'
    assert spool.replay(stored.extend) == 0  # the set-aside line is not replayed


def test_a_file_locked_by_another_process_is_left_alone(tmp_path):
    spool = Spool(tmp_path)
    spool.keep(a_record("1"))
    with open(spool.path, "rb") as other:
        fcntl.flock(other, fcntl.LOCK_EX)  # another replayer (or a writer) holds it
        assert spool.replay(lambda batch: None) == 0
    assert spool.replay(lambda batch: None) == 1


def test_records_are_bounded_like_the_call_record():
    with pytest.raises(ValidationError):
        a_record("x" * 65)
    with pytest.raises(ValidationError):
        a_record(digits="1" * 33)
    with pytest.raises(ValidationError):
        a_record(started_at=datetime(2026, 3, 2, 10, 0))  # naive


@pytest.fixture
def store(tmp_path, database_templates):
    store = ServiceStore(database_templates.sqlite_copy("calls", tmp_path / "calls.db"),
                         Base.metadata)
    yield store
    store.dispose()


def outbox(store) -> list[tuple[str, dict]]:
    with store.transaction() as session:
        rows = session.execute(select(store.outbox.c.event_type, store.outbox.c.body)).all()
    return [(kind, json.loads(body)) for kind, body in rows]


def test_a_spooled_call_becomes_its_order_and_record_once_with_its_own_times(store):
    record = a_record()
    for _ in range(2):  # a replay cut short after the commit stores it again
        with store.transaction() as session:
            store_spooled(session, record)
    with store.transaction() as session:
        order = session.scalars(select(WorkOrder)).one()
        call = session.scalars(select(Call)).one()
    assert (order.id, order.call_uniqueid, order.category) == ("order-1764.1", "1764.1",
                                                               "fault_report")
    assert order.created_at == T + timedelta(seconds=12)  # when the caller was told
    assert (call.outcome, call.started_at, call.ended_at, call.work_order_id) == (
        "fallback_queue", T, T + timedelta(seconds=20), "order-1764.1")
    events = outbox(store)
    assert [kind for kind, _ in events] == [
        "work_order.created", "work_order.clock_started", "call.ended"]
    assert events[0][1]["occurred_at"] == "2026-03-02T10:00:12Z"  # the order's clocks too
    assert events[1][1]["occurred_at"] == "2026-03-02T10:00:12Z"


def test_a_call_written_before_the_outage_is_closed_and_one_closed_since_is_left(store):
    with store.transaction() as session:
        session.add_all([
            Call(uniqueid="open", channel="c", caller_number="1", caller_name="", dnid="95598",
                 started_at=T, outcome="in_progress"),
            Call(uniqueid="closed", channel="c", caller_number="1", caller_name="",
                 dnid="95598", started_at=T, outcome="interrupted", ended_at=T),
        ])
    with store.transaction() as session:
        assert store_spooled(session, a_record("open", work_order_id=None, opened_at=None,
                                               outcome="hangup"))
        assert not store_spooled(session, a_record("closed", work_order_id=None,
                                                   opened_at=None))
    with store.transaction() as session:
        outcomes = dict(session.execute(select(Call.uniqueid, Call.outcome)).all())
    assert outcomes == {"open": "hangup", "closed": "interrupted"}
    assert [body["payload"]["call_uniqueid"] for _, body in outbox(store)] == ["open"]


def test_spool_files_are_private(tmp_path):
    spool = Spool(tmp_path)
    spool.keep(a_record())
    assert os.stat(spool.path).st_mode & 0o077 == 0  # callers' numbers and names
