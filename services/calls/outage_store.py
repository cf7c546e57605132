"""Outages and storms in storage: declare, lift, and link fault reports to their parent.

The rules are in :mod:`services.calls.outages` (pure). Everything here runs in the caller's
transaction; merges go through :func:`services.calls.orders.act` as the system actor, so each
has its history entry and ``work_order.merged`` event, and ``storm.detected`` is emitted with
the storm it announces.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from nameko.extensions import DependencyProvider
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from contracts.events import (
    OutageDeclared,
    OutageEnded,
    OutageInEffect,
    OutageLifted,
    StormDetected,
    make_event,
)
from services.calls import orders
from services.calls.lifecycle import Action, LifecycleError, Status
from services.calls.models import AreaReport, Customer, Outage, Storm, WorkOrder
from services.calls.outages import (
    ActiveOutage,
    Area,
    InvalidOutage,
    Linking,
    OpenStorm,
    OutageConflict,
    OutageNotFound,
    Report,
    StormRule,
    TtlCache,
    UnknownArea,
    area_of,
    areas_from_config,
    link_storm,
    outage_for,
)
from services.calls.views import _iso, outage_view, storm_view
from svckit import paging
from svckit.db import Database, ServiceStore
from svckit.outbox import emit

log = logging.getLogger(__name__)

PRODUCER = "calls"
HOTLINE, GRID = "hotline", "grid"


@dataclass(frozen=True)
class OutageSettings:
    """``OUTAGES`` in config.yaml: the areas, the storm rule, the hot path's cache lifetime."""

    areas: tuple[Area, ...] = ()
    storm: StormRule = field(default_factory=StormRule)
    cache_seconds: float = 5.0

    @classmethod
    def from_config(cls, raw: Mapping[str, Any] | None) -> OutageSettings:
        raw = raw or {}
        storm = raw.get("storm") or {}
        return cls(
            areas=areas_from_config(raw.get("areas")),
            storm=StormRule(
                int(storm.get("reports", 3)),
                timedelta(minutes=float(storm.get("window_minutes", 30))),
            ),
            cache_seconds=float(raw.get("cache_seconds", 5.0)),
        )

    def area(self, name: str, keywords: Sequence[str] | None = None) -> Area:
        """The area ``name`` with ``keywords``, or as configured; raises UnknownArea."""
        if not isinstance(name, str) or not name.strip():
            raise InvalidOutage("area must be the name of an area")
        if keywords:
            try:
                return Area(name.strip(), tuple(keywords))
            except ValueError as exc:
                raise InvalidOutage(str(exc)) from None
        known = {area.name: area for area in self.areas}
        if name.strip() not in known:
            raise UnknownArea(
                f"unknown area {name!r}: the configured areas are {', '.join(known) or 'none'}; "
                "or give address_keywords"
            )
        return known[name.strip()]


# Declaring and lifting


def declare(
    session: Session,
    area: Area,
    description: str,
    declared_by: str,
    at: datetime,
    expected_restore_at: datetime | None = None,
    source: str = HOTLINE,
    external_id: str | None = None,
) -> Outage:
    """A new active outage of ``area``; raises OutageConflict when the area has one.

    The check reads; the partial unique index ``uq_outages_active_area`` decides between two
    declarations racing past it. A storm open in the area hands its parent over: its reports
    and the outage's are one matter.
    """
    current = _active_in(session, area.name)
    if current is not None:
        raise _declared_already(area, current)
    outage = Outage(
        id=str(uuid.uuid4()), area=area.name, keywords=list(area.keywords),
        description=description, source=source, external_id=external_id,
        declared_by=declared_by, declared_at=at, expected_restore_at=expected_restore_at,
    )
    session.add(outage)
    try:
        session.flush()
    except IntegrityError as exc:
        raise _declared_already(area, None) from exc
    storm = _open_storm(session, area.name, at, None)
    if storm is not None:
        outage.parent_work_order_id = storm.parent_work_order_id
        session.execute(update(Storm).where(Storm.id == storm.id).values(outage_id=outage.id))
    emit(session, make_event(PRODUCER, OutageInEffect(
        outage_id=outage.id, area=outage.area, description=description[:2000], source=source,
        declared_by=declared_by[:100], declared_at=at, expected_restore_at=expected_restore_at,
    ), occurred_at=at))
    return outage


def _declared_already(area: Area, current: Outage | None) -> OutageConflict:
    by = f": {current.id}, declared by {current.declared_by}" if current else ""
    return OutageConflict(f"area {area.name} has an active outage already{by}; lift it first")


def lift(session: Session, outage_id: str, lifted_by: str, at: datetime) -> Outage:
    """Lift an active outage; raises OutageNotFound or OutageConflict (lifted already)."""
    outage = session.get(Outage, outage_id, with_for_update=True)
    if outage is None:
        raise OutageNotFound(f"outage {outage_id} not found")
    if outage.lifted_at is not None:
        raise OutageConflict(
            f"outage {outage_id} was lifted already, by {outage.lifted_by} at "
            f"{_iso(outage.lifted_at)}"
        )
    outage.lifted_at, outage.lifted_by = at, lifted_by
    emit(session, make_event(PRODUCER, OutageEnded(
        outage_id=outage.id, area=outage.area, lifted_by=lifted_by[:100], lifted_at=at,
    ), occurred_at=at))
    return outage


def declare_from_grid(
    session: Session, declared: OutageDeclared, settings: OutageSettings
) -> Outage:
    """The grid's declaration, once: a repeat returns the outage it made; an area declared by
    the hotline already takes the grid's id, so that the grid's lift lifts it."""
    known = _from_grid(session, declared.outage_id)
    if known is not None:
        return known
    area = settings.area(declared.area, declared.address_keywords)
    current = _active_in(session, area.name)
    if current is not None and current.external_id is None:
        current.source, current.external_id = GRID, declared.outage_id
        return current
    return declare(
        session, area, declared.description, GRID, declared.declared_at,
        declared.expected_restore_at, GRID, declared.outage_id,
    )


def lift_from_grid(session: Session, lifted: OutageLifted) -> Outage | None:
    """The grid's lift; None (and nothing done) for an outage unknown here or lifted already."""
    outage = _from_grid(session, lifted.outage_id)
    if outage is None or outage.lifted_at is not None:
        log.info("grid lifted outage %s: unknown here or lifted already", lifted.outage_id)
        return None
    return lift(session, outage.id, GRID, lifted.lifted_at)


def active_outages(session: Session) -> tuple[ActiveOutage, ...]:
    rows = session.execute(
        select(Outage.id, Outage.area, Outage.keywords)
        .where(Outage.lifted_at.is_(None))
        .order_by(Outage.declared_at)
    )
    return tuple(ActiveOutage(row.id, Area(row.area, tuple(row.keywords))) for row in rows)


def listing(session: Session, now: datetime, rule: StormRule, cursor: str | None = None,
            limit: int = paging.DEFAULT_LIMIT) -> dict[str, Any]:
    """A page of the active outages, oldest first (``{items, next_cursor}``, svckit.paging),
    and the storms still open with no outage declared (at most one per configured area)."""
    query = paging.keyset(select(Outage).where(Outage.lifted_at.is_(None)),
                          (Outage.declared_at, Outage.id), cursor, limit)
    rows, after = paging.page(list(session.scalars(query)), limit,
                              lambda outage: (outage.declared_at, outage.id))
    return {"items": [outage_view(o) for o in rows], "next_cursor": after,
            "storms": open_storms(session, now, rule)}


def open_storms(session: Session, now: datetime, rule: StormRule) -> list[dict]:
    """Storms still open (a report within the rule's window) with no outage declared."""
    storms = session.scalars(
        select(Storm)
        .where(Storm.outage_id.is_(None), Storm.last_report_at >= now - rule.window)
        .order_by(Storm.detected_at)
    )
    return [storm_view(storm) for storm in storms]


# Linking fault reports (off the call's path: the calls service's work_order.created handler)


def link_report(
    session: Session, order_id: str, settings: OutageSettings, now: datetime
) -> str | None:
    """Link a new fault report to its outage's or storm's parent; the parent's id, or None.

    The caller's registered address places the report: callers not in the customer registry,
    or outside every outage and configured area, stay unlinked. The report's time is its
    order's opening.
    """
    found = session.execute(
        select(Customer.address, WorkOrder.created_at)
        .join(Customer, Customer.number == WorkOrder.caller_number)
        .where(WorkOrder.id == order_id)
    ).first()
    if found is None or not found.address:
        return None
    address, at = found.address, found.created_at
    area = area_of(address, settings.areas)
    outage = outage_for(address, active_outages(session))
    if outage is not None:
        parent = _link_to_outage(session, outage.id, order_id, now)
    elif area is not None:
        parent = _link_to_storm(session, area.name, Report(order_id, at), settings.storm, now)
    else:
        return None
    if area is not None:
        session.add(AreaReport(work_order_id=order_id, area=area.name, reported_at=at,
                               linked_to=parent))
    return parent


def _link_to_outage(session: Session, outage_id: str, order_id: str, now: datetime) -> str:
    """Merge into the outage's parent; the first report (or one after its parent closed)
    becomes the parent."""
    outage = session.get(Outage, outage_id, with_for_update=True)
    parent = outage.parent_work_order_id and session.get(WorkOrder, outage.parent_work_order_id)
    if not parent or parent.status in (Status.CLOSED, Status.MERGED):
        outage.parent_work_order_id = order_id
        return order_id
    _merge(session, [order_id], parent.id, f"停电 {outage.area}: outage {outage.id}", now)
    return parent.id


def _link_to_storm(
    session: Session, area: str, report: Report, rule: StormRule, now: datetime
) -> str | None:
    storm = _open_storm(session, area, report.at, rule)
    earlier = session.execute(
        select(AreaReport.work_order_id, AreaReport.reported_at).where(
            AreaReport.area == area,
            AreaReport.linked_to.is_(None),
            AreaReport.reported_at >= report.at - rule.window,
        )
    )
    linking = link_storm(
        rule,
        report,
        [Report(row.work_order_id, row.reported_at) for row in earlier],
        storm and OpenStorm(storm.parent_work_order_id, storm.last_report_at),
    )
    if linking.parent_id is None:
        return None
    note = f"报障集中 {area}: {rule.reports} reports within {rule.window}"
    merged = _merge(session, linking.merge, linking.parent_id, note, now)
    session.execute(
        update(AreaReport)
        .where(AreaReport.work_order_id.in_([linking.parent_id, *merged]))
        .values(linked_to=linking.parent_id)
    )
    _record_storm(session, storm, area, report, linking, rule, now)
    return linking.parent_id


def _record_storm(
    session: Session, storm: Storm | None, area: str, report: Report, linking: Linking,
    rule: StormRule, now: datetime,
) -> None:
    if not linking.detected:
        storm.reports += 1
        storm.last_report_at = report.at
        return
    storm = Storm(
        id=str(uuid.uuid4()), area=area, parent_work_order_id=linking.parent_id,
        reports=len(linking.merge) + 1, detected_at=now, last_report_at=report.at,
    )
    session.add(storm)
    first = session.scalar(
        select(AreaReport.reported_at).where(AreaReport.work_order_id == linking.parent_id)
    )
    detected = StormDetected(
        storm_id=storm.id, area=area, parent_work_order_id=storm.parent_work_order_id,
        work_order_ids=[linking.parent_id, *linking.merge], reports=storm.reports,
        window_minutes=rule.window.total_seconds() / 60,
        first_report_at=first or report.at, detected_at=storm.detected_at,
    )
    emit(session, make_event(PRODUCER, detected, occurred_at=storm.detected_at))


def _merge(
    session: Session, children: Sequence[str], parent_id: str, note: str, now: datetime
) -> list[str]:
    """Merge each child into the parent as the system; one the lifecycle refuses (an agent has
    answered it meanwhile) is left as it is. The ids merged."""
    merged = []
    for child in children:
        try:
            orders.act(
                session, child, Action.MERGE, orders.SYSTEM, now,
                {"parent": parent_id, "note": note},
            )
            merged.append(child)
        except LifecycleError as exc:
            log.info("fault report %s not merged into %s: %s", child, parent_id, exc)
    return merged


def _active_in(session: Session, area: str) -> Outage | None:
    return session.scalar(
        select(Outage).where(Outage.area == area, Outage.lifted_at.is_(None)).limit(1)
    )


def _from_grid(session: Session, external_id: str) -> Outage | None:
    return session.scalar(
        select(Outage)
        .where(Outage.source == GRID, Outage.external_id == external_id)
        .with_for_update()
    )


def _open_storm(
    session: Session, area: str, at: datetime, rule: StormRule | None
) -> Storm | None:
    """The area's latest storm with no outage yet, if its last report is within the window
    (any age when ``rule`` is None: an outage adopts the latest storm's parent)."""
    query = select(Storm).where(Storm.area == area, Storm.outage_id.is_(None))
    if rule is not None:
        query = query.where(Storm.last_report_at >= at - rule.window)
    return session.scalar(query.order_by(Storm.detected_at.desc()).limit(1).with_for_update())




# The hot path's view: active outages, cached per service container


class ActiveOutages(DependencyProvider):
    """Injects a :class:`TtlCache` of the active outages (``OUTAGES.cache_seconds``), shared by
    the container's workers; the service invalidates it when it declares or lifts one."""

    def setup(self) -> None:
        settings = OutageSettings.from_config(self.container.config.get("OUTAGES"))
        self.ttl = settings.cache_seconds
        self.cache: TtlCache | None = None

    def get_dependency(self, worker_ctx) -> TtlCache:
        if self.cache is None:
            store = next(
                d.store for d in self.container.dependencies if isinstance(d, Database)
            )
            self.cache = TtlCache(lambda: _load_active(store), self.ttl)
        return self.cache


def _load_active(store: ServiceStore) -> tuple[ActiveOutage, ...]:
    with store.transaction() as session:
        return active_outages(session)
