"""Notices in storage: made once per (source event, recipient) with ``notice.created`` in the
same transaction; read by their recipient only."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from contracts.events import NoticeCreated, NoticeSubject, make_event
from services.inbox.addressing import Draft
from services.inbox.models import Notice
from svckit import paging
from svckit.outbox import emit

PRODUCER = "inbox"


class NoticeNotFound(Exception):
    """No such notice in the caller's inbox (another person's is not found either): 404."""


def deliver(session: Session, source_event_id: str, drafts: list[Draft],
            now: datetime) -> list[Notice]:
    """Store each draft not stored before for its recipient, and announce it."""
    made = []
    for draft in drafts:
        known = session.scalar(select(Notice.id).where(
            Notice.source_event_id == source_event_id, Notice.recipient_id == draft.recipient_id))
        if known is not None:
            continue
        notice = Notice(recipient_id=draft.recipient_id, kind=draft.kind,
                        subject_type=draft.subject_type, subject_id=draft.subject_id,
                        params=draft.params, source_event_id=source_event_id, created_at=now)
        session.add(notice)
        session.flush()
        emit(session, make_event(PRODUCER, NoticeCreated(
            notice_id=notice.id, recipient_id=notice.recipient_id, kind=notice.kind,
            subject=NoticeSubject(type=notice.subject_type, id=notice.subject_id),
            params=notice.params, created_at=now), occurred_at=now))
        made.append(notice)
    return made


def view(notice: Notice) -> dict[str, Any]:
    return {"id": notice.id, "kind": notice.kind,
            "subject": {"type": notice.subject_type, "id": notice.subject_id},
            "params": notice.params, "created_at": notice.created_at.isoformat(),
            "read_at": notice.read_at.isoformat() if notice.read_at else None}


def listing(session: Session, recipient_id: int, unread: bool | None, cursor: str | None,
            limit: int) -> dict[str, Any]:
    """A page of the recipient's notices, newest first, with her unread count."""
    mine = Notice.recipient_id == recipient_id
    wanted = select(Notice).where(mine)
    if unread is True:
        wanted = wanted.where(Notice.read_at.is_(None))
    elif unread is False:
        wanted = wanted.where(Notice.read_at.is_not(None))
    query = paging.keyset(wanted, (Notice.id,), cursor, limit, descending=True)
    rows, after = paging.page(list(session.scalars(query)), limit, lambda n: (n.id,))
    return {"items": [view(n) for n in rows], "next_cursor": after,
            "unread_count": unread_count(session, recipient_id)}


def unread_count(session: Session, recipient_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Notice).where(
        Notice.recipient_id == recipient_id, Notice.read_at.is_(None)))


def read(session: Session, recipient_id: int, notice_id: int, now: datetime) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None or notice.recipient_id != recipient_id:
        raise NoticeNotFound(f"notice {notice_id} is not in your inbox")
    if notice.read_at is None:
        notice.read_at = now
    return notice


def read_all(session: Session, recipient_id: int, now: datetime) -> int:
    return session.execute(update(Notice).where(
        Notice.recipient_id == recipient_id, Notice.read_at.is_(None)).values(read_at=now)
    ).rowcount


def settle(session: Session, subject_type: str, subject_id: str, news: dict[str, Any],
           now: datetime, covers: Callable[[dict[str, Any]], bool] = lambda params: True) -> int:
    """The notices about a subject that ``covers`` (by their params) are done (a lockout
    lifted): each is marked read where it was not, and carries ``news`` in its params for the
    console to say so. How many."""
    notices = [n for n in session.scalars(select(Notice).where(
        Notice.subject_type == subject_type, Notice.subject_id == subject_id))
        if covers(n.params or {})]
    for notice in notices:
        notice.params = {**(notice.params or {}), **news}
        notice.read_at = notice.read_at or now
    return len(notices)
