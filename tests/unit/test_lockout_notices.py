"""A login lockout in the inbox (issue 10 follow-up): the people staffing names, who may lift
it, get one notice each, never the member locked out, and nothing of the passwords; a lift
settles the notices of the locks made until it, not of a lock made again afterwards, even
when it is handled first."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from contracts.events import (
    LoginLockedOut,
    PostKind,
    Recipient,
)
from scripts.asyncapi import subscribers
from services.inbox import addressing, notice_store
from services.inbox.models import Base, outbox

AT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
HR_HEAD, DIRECTOR, MEMBER = 5, 1, 21


def locked(*notify: tuple[int, PostKind], staff_id: int = MEMBER) -> LoginLockedOut:
    return LoginLockedOut(
        staff_id=staff_id, username="win05", address="10.1.2.3", failures=10, locked_at=AT,
        notify=[Recipient(staff_id=who, post=kind) for who, kind in notify])


def test_the_hr_head_and_the_hall_director_are_told_once_each():
    event = locked((HR_HEAD, PostKind.HR_HEAD), (DIRECTOR, PostKind.HALL_DIRECTOR),
                   (HR_HEAD, PostKind.HALL_DIRECTOR))
    drafts = addressing.locked_out(event)
    assert [(d.recipient_id, d.kind, d.subject_type, d.subject_id) for d in drafts] == [
        (HR_HEAD, "login.locked_out", "login_lockout", str(MEMBER)),
        (DIRECTOR, "login.locked_out", "login_lockout", str(MEMBER))]
    assert drafts[0].params == {"staff_id": MEMBER, "username": "win05", "address": "10.1.2.3",
                                "failures": 10, "locked_at": AT.isoformat()}


def test_the_member_locked_out_is_never_told_even_when_named():
    event = locked((MEMBER, PostKind.HR_HEAD), (DIRECTOR, PostKind.HALL_DIRECTOR))
    assert [d.recipient_id for d in addressing.locked_out(event)] == [DIRECTOR]
    assert addressing.locked_out(locked()) == []


def test_a_lift_settles_the_locks_made_until_it_only():
    notice = addressing.locked_out(locked((HR_HEAD, PostKind.HR_HEAD)))[0].params
    assert addressing.lifted_until(notice, AT)
    assert addressing.lifted_until(notice, AT + timedelta(minutes=5))
    assert not addressing.lifted_until(notice, AT - timedelta(seconds=1))


def test_a_lift_handled_before_the_locks_notice_still_settles_it():
    """Two queues: the lift may come first; the notice made afterwards is done, unannounced,
    while a lock made again after the lift is a new notice."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    news = {"lifted_at": AT.isoformat(), "lifted_by": HR_HEAD}
    with Session(engine, info={"outbox_table": outbox}) as session:
        assert notice_store.settle(session, addressing.LOCKOUT, str(MEMBER), AT, news, AT,
                                   addressing.lifted_until) == 0
        drafts = addressing.locked_out(locked((HR_HEAD, PostKind.HR_HEAD)))
        [done] = notice_store.deliver(session, "e1", drafts, AT, addressing.lifted_until)
        assert done.read_at == AT and done.params["lifted_by"] == HR_HEAD
        again = locked((HR_HEAD, PostKind.HR_HEAD)).model_copy(
            update={"locked_at": AT + timedelta(hours=1)})
        [new] = notice_store.deliver(session, "e2", addressing.locked_out(again), AT,
                                     addressing.lifted_until)
        assert new.read_at is None and "lifted_by" not in new.params
        announced = session.scalars(select(outbox.c.event_type)).all()
        assert announced == ["notice.created"]  # the new one only


def test_the_inbox_follows_both_lockout_events():
    handled = {(s.event_type, s.method) for s in subscribers() if s.service == "inbox"}
    assert {("login.locked_out", "on_locked_out"),
            ("login.lockout_lifted", "on_lockout_lifted")} <= handled
