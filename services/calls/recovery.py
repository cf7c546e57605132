"""Calls left in progress by a crashed calls process are closed, once (issue 15).

Each calls process (an *instance*) writes its id on the calls it serves and says it is alive in
``calls_instances`` every few seconds. A process killed mid-call (SIGKILL, a lost machine)
leaves its calls ``in_progress`` with no ``call.ended``. Any live instance (a restarted one
first of all, at start-up) looks for instances not seen for ``gone_after`` and closes their
calls in progress: ended when the instance was last seen (the crash, as near as is known),
outcome ``interrupted``, ``call.ended`` published with what the call had got to, so the fault
reports among them join their outage or storm as any other (CallsService.link_fault_report).
Several instances may sweep at once: each call is closed by one UPDATE that only an
``in_progress`` row matches, and only that one publishes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from nameko.extensions import DependencyProvider
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from contracts.events import CallEnded, Category, make_event
from services.calls.models import Call, CallsInstance, WorkOrder
from svckit.outbox import emit

PRODUCER = "calls"
INTERRUPTED = "interrupted"
IN_PROGRESS = "in_progress"
LEGACY_AFTER = timedelta(hours=1)  # a call written before instances were: no IVR lasts this long


def interrupted_at(started_at: datetime, last_seen: datetime | None) -> datetime:
    """When an interrupted call ended: when its instance was last seen, never before the call
    began (a call with no known instance ended, as far as anyone knows, when it began)."""
    return max(started_at, last_seen) if last_seen is not None else started_at


@dataclass(frozen=True)
class RecoverySettings:
    beat_seconds: float = 5.0
    gone_after_seconds: float = 20.0  # four missed beats: not a slow beat, a dead process

    @classmethod
    def from_config(cls, raw: dict | None) -> RecoverySettings:
        raw = raw or {}
        return cls(float(raw.get("beat_seconds", cls.beat_seconds)),
                   float(raw.get("gone_after_seconds", cls.gone_after_seconds)))


class Instance(DependencyProvider):
    """This process's instance id, new at every start (a restart is a new instance)."""

    def setup(self) -> None:
        self.instance_id = str(uuid.uuid4())

    def get_dependency(self, worker_ctx) -> str:
        return self.instance_id


def beat(session: Session, instance_id: str, now: datetime) -> None:
    """This instance is alive at ``now``."""
    updated = session.execute(
        update(CallsInstance).where(CallsInstance.instance_id == instance_id)
        .values(seen_at=now)
    ).rowcount
    if not updated:
        session.add(CallsInstance(instance_id=instance_id, started_at=now, seen_at=now))


def close_interrupted(session: Session, instance_id: str, now: datetime,
                      gone_after: timedelta) -> list[str]:
    """Close the calls in progress of instances gone for ``gone_after`` (and of calls written
    before instances were recorded); the uniqueids closed here."""
    gone = dict(session.execute(
        select(CallsInstance.instance_id, CallsInstance.seen_at).where(
            CallsInstance.seen_at < now - gone_after, CallsInstance.instance_id != instance_id)
    ).all())
    legacy = Call.instance_id.is_(None) & (Call.started_at < now - LEGACY_AFTER)
    stranded = session.scalars(
        select(Call).where(Call.outcome == IN_PROGRESS,
                           or_(Call.instance_id.in_(gone), legacy))
    ).all()
    closed = [call.uniqueid for call in stranded
              if _close(session, call, interrupted_at(call.started_at,
                                                      gone.get(call.instance_id)))]
    if gone:
        session.execute(delete(CallsInstance).where(CallsInstance.instance_id.in_(gone)))
    return closed


def _close(session: Session, call: Call, ended: datetime) -> bool:
    taken = session.execute(
        update(Call).where(Call.uniqueid == call.uniqueid, Call.outcome == IN_PROGRESS)
        .values(outcome=INTERRUPTED, ended_at=ended)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not taken:  # another instance closed it first
        return False
    # the menu choice is written on the call at its end; by then it was on the order already
    category = call.category or (call.work_order_id and session.scalar(
        select(WorkOrder.ivr_category).where(WorkOrder.id == call.work_order_id)))
    emit(session, make_event(PRODUCER, CallEnded(
        call_uniqueid=call.uniqueid,
        outcome=INTERRUPTED,
        category=Category(category) if category else None,
        work_order_id=call.work_order_id,
        digits=call.digits,
        started_at=call.started_at,
        ended_at=ended,
    ), occurred_at=ended))
    return True
