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
from services.inbox.models import Notice, Settlement
from svckit import paging
from svckit.outbox import emit

PRODUCER = "inbox"
# Does a settlement until an instant cover the notice with these params?
Covers = Callable[[dict[str, Any], datetime], bool]


class NoticeNotFound(Exception):
    """No such notice in the caller's inbox (another person's is not found either): 404."""


def deliver(session: Session, source_event_id: str, drafts: list[Draft], now: datetime,
            covers: Covers | None = None) -> list[Notice]:
    """Store each draft not stored before for its recipient, and announce it; one its
    subject's settlement ``covers`` (settle) is stored done already, and not announced."""
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
        made.append(notice)
        if _settled_on_arrival(session, notice, covers):
            continue
        emit(session, make_event(PRODUCER, NoticeCreated(
            notice_id=notice.id, recipient_id=notice.recipient_id, kind=notice.kind,
            subject=NoticeSubject(type=notice.subject_type, id=notice.subject_id),
            params=notice.params, created_at=now), occurred_at=now))
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


def settle(session: Session, subject_type: str, subject_id: str, until: datetime,
           news: dict[str, Any], now: datetime, covers: Covers) -> int:
    """The notices about a subject raised until ``until`` are done (a lockout lifted; ``news``
    says how): those made are marked read where they were not and carry ``news`` in their
    params for the console; the settlement is remembered for a notice made later (its event
    may come after the one that settles it). How many were settled now."""
    row = session.get(Settlement, (subject_type, subject_id))
    if row is None:
        session.add(Settlement(subject_type=subject_type, subject_id=subject_id, until=until,
                               news=news))
    elif until >= row.until:
        row.until, row.news = until, news
    notices = [n for n in session.scalars(select(Notice).where(
        Notice.subject_type == subject_type, Notice.subject_id == subject_id))
        if covers(n.params or {}, until)]
    for notice in notices:
        _settled(notice, news, now)
    return len(notices)


def _settled(notice: Notice, news: dict[str, Any], now: datetime) -> None:
    notice.params = {**(notice.params or {}), **news}
    notice.read_at = notice.read_at or now


def _settled_on_arrival(session: Session, notice: Notice, covers: Covers | None) -> bool:
    """Was the new notice's subject settled already, for it too? Then it is made done."""
    row = session.get(Settlement, (notice.subject_type, notice.subject_id)) if covers else None
    if row is None or not covers(notice.params or {}, row.until):
        return False
    _settled(notice, row.news, notice.created_at)
    return True
