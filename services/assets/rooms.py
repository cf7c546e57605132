"""Training rooms (S2). Pure.

S2.1-3: the business-expansion hall room and the 95598 hall room take training of fewer than 10
people; 10 or more, or company-wide (综合性) training, is booked by the general office in a
company meeting room: refused here with the reason and referred there.
S2.4: the rooms serve training and meetings; any other use waits for the supervising leader.
Bookings holding a room never overlap (the database guarantees it, migration 0001).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

MAX_ATTENDEES = 9  # "fewer than 10" (S2.3)
PURPOSES = ("training", "meeting", "other")
HOLDING = ("confirmed", "pending")
MAX_LENGTH = timedelta(hours=12)


class BookingRule(ValueError):
    """A booking breaks a rule; the message cites it."""


@dataclass(frozen=True)
class Verdict:
    state: str  # confirmed, pending (S2.4 approval), referred (S2.3)
    reason: str = ""


def decide(purpose: str, attendees: int, company_wide: bool) -> Verdict:
    """What becomes of a new booking (S2.3-4)."""
    if purpose not in PURPOSES:
        raise BookingRule(f"purpose is one of {', '.join(PURPOSES)}")
    if purpose == "training" and company_wide:
        return Verdict("referred", "company-wide training is booked by the general office in a "
                                   "company meeting room (S2.3)")
    if attendees > MAX_ATTENDEES:
        return Verdict("referred", f"{attendees} people: the training rooms take fewer than 10; "
                                   "the general office books a company meeting room (S2.3)")
    if purpose == "other":
        return Verdict("pending", "use other than training or meetings needs the supervising "
                                  "leader's approval first (S2.4)")
    return Verdict("confirmed")


def check_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at:
        raise BookingRule("a booking ends after it starts")
    if ends_at - starts_at > MAX_LENGTH:
        raise BookingRule("a booking lasts at most 12 hours")
    if ends_at <= now:
        raise BookingRule("a booking is for a time still to come")


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    """Half-open intervals: one ending when the other starts does not overlap."""
    return a[0] < b[1] and b[0] < a[1]
