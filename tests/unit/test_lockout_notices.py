"""A login lockout in the inbox (issue 10 follow-up): the people staffing names, who may lift
it, get one notice each, never the member locked out, and nothing of the passwords; a lift
settles the notices of the locks made until it, not of a lock made again afterwards."""

from datetime import UTC, datetime, timedelta

from contracts.events import (
    LockoutLiftReason,
    LoginLockedOut,
    LoginLockoutLifted,
    PostKind,
    Recipient,
)
from scripts.asyncapi import subscribers
from services.inbox import addressing

AT = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)
HR_HEAD, DIRECTOR, MEMBER = 5, 1, 21


def locked(*notify: tuple[int, PostKind], staff_id: int = MEMBER) -> LoginLockedOut:
    return LoginLockedOut(
        staff_id=staff_id, username="win05", address="10.1.2.3", failures=10, locked_at=AT,
        notify=[Recipient(staff_id=who, post=kind) for who, kind in notify])


def lifted(at: datetime) -> LoginLockoutLifted:
    return LoginLockoutLifted(staff_id=MEMBER, username="win05",
                              reason=LockoutLiftReason.LIFTED, lifted_by=HR_HEAD, lifted_at=at)


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
    assert addressing.lifted_by(lifted(AT), notice)
    assert addressing.lifted_by(lifted(AT + timedelta(minutes=5)), notice)
    assert not addressing.lifted_by(lifted(AT - timedelta(seconds=1)), notice)


def test_the_inbox_follows_both_lockout_events():
    handled = {(s.event_type, s.method) for s in subscribers() if s.service == "inbox"}
    assert {("login.locked_out", "on_locked_out"),
            ("login.lockout_lifted", "on_lockout_lifted")} <= handled
