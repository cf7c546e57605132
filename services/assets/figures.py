"""The assets alerts open now, as the gauge ``csc_assets_alerts_open{type}`` (issue 17): the
counter ``csc_assets_alerts_total`` says how many were raised, this says how many nobody has
closed yet, which is what the alert CscSealOrKeyAlertOpen (``type=~"seal.*|key.*"``) reads.

Counted from the assets database when metrics are scraped: a few aggregate queries over small
tables (seals out, today's window alerts, open handover tasks), so no caching. Every type is
set on each scrape, 0 included, so a closed alert's series drops to 0 instead of going stale.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from prometheus_client import Gauge
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.assets import upkeep
from services.assets.models import HandoverTask, SealMovement, WindowAlert, WindowCheck
from svckit import workdays

SEAL_NOT_RETURNED = "seal.not_returned"  # S1.11: out past the day's close, not back yet
WINDOW_UNCHECKED = "window.unchecked"  # S1.9: today's check still missing after the close
HANDOVER_PENDING = {  # S1.12, S1.13, S1.19: a mover's item not yet confirmed by its receiver
    "seal": "seal.handover_pending",
    "key": "key.handover_pending",
    "asset": "asset.handover_pending",
}
TYPES = (SEAL_NOT_RETURNED, WINDOW_UNCHECKED, *HANDOVER_PENDING.values())

ALERTS_OPEN = Gauge("csc_assets_alerts_open", "Assets alerts open now, by type.", ["type"])


def open_alerts(session: Session, now: datetime) -> dict[str, int]:
    """How many alerts of each type are open at ``now`` (every type, 0 included)."""
    counts = dict.fromkeys(TYPES, 0)
    counts[SEAL_NOT_RETURNED] = session.execute(
        select(func.count()).select_from(SealMovement).where(
            SealMovement.alerted_at.is_not(None), SealMovement.closed_at.is_(None))
    ).scalar_one()
    counts[WINDOW_UNCHECKED] = _windows_unchecked(session, workdays.local_date(now))
    pending = session.execute(
        select(HandoverTask.item, func.count()).where(HandoverTask.state == "open")
        .group_by(HandoverTask.item)).all()
    for item, count in pending:
        if item in HANDOVER_PENDING:
            counts[HANDOVER_PENDING[item]] = count
    return counts


def _windows_unchecked(session: Session, day) -> int:
    """Windows alerted for ``day`` that still lack a check (a late check closes the alert)."""
    done: dict[str, list[str]] = defaultdict(list)
    rows = session.execute(
        select(WindowAlert.window, WindowCheck.kind).where(WindowAlert.day == day)
        .outerjoin(WindowCheck, (WindowCheck.window == WindowAlert.window)
                   & (WindowCheck.day == WindowAlert.day))).all()
    for window, kind in rows:
        done[window] += [kind] if kind else []
    return sum(1 for kinds in done.values() if upkeep.missing_checks(kinds))


def refresh(session: Session, now: datetime) -> None:
    """Set the gauge from the database."""
    for alert_type, count in open_alerts(session, now).items():
        ALERTS_OPEN.labels(alert_type).set(count)
