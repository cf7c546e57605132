"""Custody: who may hold the hall's keys (S1.12), when a seal is due back (S1.11), and who
receives what a moving person holds (S1.13, S1.19). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta, tzinfo

from contracts.events import PostKind
from services.assets.org_view import Org
from svckit import workdays

DOOR_KEYS = ("main_door_remote", "auto_door")  # S1.12: the director and deputy hold them
FINANCE_KEY = "finance_room"  # S1.12: a named person of the finance section
KEY_KINDS = (*DOOR_KEYS, FINANCE_KEY)
FINANCE_DEPARTMENT = "finance"
HALL_LEADERS = (PostKind.HALL_DIRECTOR, PostKind.HALL_DEPUTY_DIRECTOR)


class CustodyRule(ValueError):
    """A custody rule refuses this; the message cites it."""


def seal_due(taken_out_at: datetime, zone: tzinfo = workdays.DEFAULT_ZONE) -> datetime:
    """When a seal taken out at ``taken_out_at`` must be back in its department (S1.11: before
    the afternoon close, never overnight): the close of office hours that day (S1.7) if it was
    taken out on a working day before the close, else the end of that local day."""
    local = taken_out_at.astimezone(zone)
    close = datetime.combine(local.date(), workdays.OFFICE_HOURS[-1][1], tzinfo=zone)
    if workdays.is_working_day(local.date()) and local < close:
        return close
    return datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=zone)


def check_key_receiver(kind: str, giver: int, receiver: int, receiver_department: str | None,
                       org: Org, door_keys_with_others: set[int]) -> None:
    """May ``giver`` hand a key of ``kind`` to ``receiver`` (S1.12)?

    Door keys: to the director or deputy (A or B of those posts), or to one person they name
    (so only a hall leader may hand one to someone else, and only while no other such person
    holds door keys: ``door_keys_with_others``). The finance room key: to a member of the
    finance section.
    """
    if kind in DOOR_KEYS:
        if any(org.holds(receiver, kind) for kind in HALL_LEADERS):
            return
        if not any(org.holds(giver, kind) for kind in HALL_LEADERS):
            raise CustodyRule("the door keys go to the hall director or deputy, or to one person "
                              "they name (S1.12): only they may hand one to someone else")
        if door_keys_with_others - {receiver}:
            raise CustodyRule("the director and deputy name one person only to hold door keys "
                              f"(S1.12); staff {sorted(door_keys_with_others)} hold some now")
        return
    if kind == FINANCE_KEY and receiver_department != FINANCE_DEPARTMENT:
        raise CustodyRule("the finance room key is kept by a named person of the finance "
                          "section (S1.12)")


@dataclass(frozen=True)
class Held:
    """Something in a mover's custody."""

    item: str  # asset, seal, key
    item_id: int
    label: str
    place: str | None  # an asset's location (a window code, a room), a seal's department,
    kind: str | None = None  # a key's kind or an asset's location kind


def successor(held: Held, mover: int, org: Org) -> int | None:
    """Who receives ``held`` from ``mover`` (S1.13, S1.19): the one who now serves the same
    place (the window's remaining holder, the room's trainer, the department's chief, the
    other hall leader, the finance section's chief), else the fixed-asset administrator,
    else the hall director; never the mover."""
    candidates: list[int | None] = []
    if held.item == "asset" and held.kind == "window" and (post := org.post(held.place or "")):
        candidates += [post.acting, post.a_holder, post.b_holder]
    elif held.item == "asset" and held.kind == "room":
        candidates.append(org.acting(PostKind.TRAINER))
    elif held.item == "seal":
        candidates.append(org.acting(PostKind.SECTION_CHIEF, held.place))
    elif held.item == "key" and held.kind in DOOR_KEYS:
        candidates += [org.acting(kind) for kind in HALL_LEADERS]
    elif held.item == "key" and held.kind == FINANCE_KEY:
        candidates.append(org.acting(PostKind.SECTION_CHIEF, FINANCE_DEPARTMENT))
    candidates += [org.acting(PostKind.FIXED_ASSET_ADMIN), org.acting(PostKind.HALL_DIRECTOR)]
    return next((c for c in candidates if c is not None and c != mover), None)


def to_hand_over(held: list[Held], reason: str) -> list[Held]:
    """What a mover hands over: everything on a transfer or departure; on leave, the seals and
    keys only (S1.12: a holder going on leave hands them over first; assets stay in place)."""
    if reason == "leave":
        return [h for h in held if h.item in ("seal", "key")]
    return list(held)
