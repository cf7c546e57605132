"""One unit of work of the assets service: its session, the service's time, the organisation
(svckit/staff_cache.py) and the authority checks every store module shares."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, tzinfo

from sqlalchemy.orm import Session

from contracts.events import Envelope, Payload, PostKind, make_event
from services.assets.org_view import Org
from services.assets.refusals import Forbidden, Invalid
from svckit import workdays
from svckit.outbox import emit

PRODUCER = "assets"
TITLES = {PostKind.FIXED_ASSET_ADMIN: "fixed-asset administrator",
          PostKind.BUREAU_OFFICE: "bureau office", PostKind.TRAINER: "center trainer"}


@dataclass
class Unit:
    session: Session
    now: datetime
    org_of: Callable[[], Org]
    staff_of: Callable[[int], dict | None]
    zone: tzinfo = workdays.DEFAULT_ZONE

    @property
    def org(self) -> Org:
        return self.org_of()

    def today(self) -> date:
        return workdays.local_date(self.now, self.zone)

    def member(self, staff_id: int) -> dict:
        """A serving member's record (staffing's), else Invalid."""
        record = self.staff_of(staff_id) if isinstance(staff_id, int) else None
        if record is None or record.get("left_on"):
            raise Invalid(f"staff member {staff_id} is not on staff")
        return record

    def caller(self, staff_id: int) -> dict:
        """The caller's record; a leaver or unknown caller is refused."""
        record = self.staff_of(staff_id) if isinstance(staff_id, int) else None
        if record is None or record.get("left_on"):
            raise Forbidden("only serving staff may do this")
        return record

    def require(self, caller: int, *kinds: PostKind, rule: str) -> None:
        """The caller acts now for a post of one of ``kinds``, else Forbidden citing ``rule``."""
        self.caller(caller)
        if not self.org.acts_as(caller, *kinds):
            names = " or ".join(TITLES.get(kind, kind.value.replace("_", " ")) for kind in kinds)
            raise Forbidden(f"only the {names} may do this ({rule})")

    def publish(self, payload: Payload, event_type: str | None = None) -> Envelope:
        event = make_event(PRODUCER, payload, self.now, event_type)
        emit(self.session, event)
        return event
