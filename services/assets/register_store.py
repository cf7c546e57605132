"""The fixed-asset register in storage (S1.13): additions, moves and disposals by the named
administrator, each a row of history and an event; the sub-ledger over a period."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from contracts.events import AssetChanged, PostKind
from services.assets import ledger
from services.assets.models import Asset, AssetChange
from services.assets.refusals import Conflict, Invalid, NotFound
from services.assets.schemas import AssetMove, Disposal, LedgerQuery, NewAsset, parse
from services.assets.unit import Unit
from svckit import paging

RULE = "S1.13: the hall's fixed-asset administrator records additions, disposals and moves"


def view(asset: Asset) -> dict:
    return {
        "id": asset.id, "tag": asset.tag, "kind": asset.kind, "name": asset.name,
        "location_kind": asset.location_kind, "location": asset.location,
        "custodian_id": asset.custodian_id, "acquired_on": asset.acquired_on.isoformat(),
        "value_cents": asset.value_cents,
        "disposed_on": asset.disposed_on.isoformat() if asset.disposed_on else None,
        "disposal_reason": asset.disposal_reason,
    }


def get(unit: Unit, asset_id: int) -> Asset:
    asset = unit.session.get(Asset, asset_id) if isinstance(asset_id, int) else None
    if asset is None:
        raise NotFound(f"asset {asset_id} not found")
    return asset


def add(unit: Unit, caller: int, data: dict) -> dict:
    unit.require(caller, PostKind.FIXED_ASSET_ADMIN, rule=RULE)
    new = parse(NewAsset, data)
    if new.custodian_id is not None:
        unit.member(new.custodian_id)
    if new.acquired_on > unit.today():
        raise Invalid("an asset is added once acquired: acquired_on is not in the future")
    if unit.session.scalar(select(Asset.id).where(Asset.tag == new.tag)) is not None:
        raise Conflict(f"tag {new.tag} is on another asset")
    asset = Asset(**new.model_dump())
    unit.session.add(asset)
    unit.session.flush()
    _history(unit, asset, "added", caller, new.acquired_on, to=(asset.location, asset.custodian_id))
    return view(asset)


def move(unit: Unit, caller: int, asset_id: int, data: dict) -> dict:
    unit.require(caller, PostKind.FIXED_ASSET_ADMIN, rule=RULE)
    change = parse(AssetMove, data)
    asset = _on_books(unit, asset_id)
    if change.custodian_id is not None:
        unit.member(change.custodian_id)
    before = (asset.location, asset.custodian_id)
    asset.location_kind, asset.location = change.location_kind, change.location
    asset.custodian_id = change.custodian_id
    _history(unit, asset, "moved", caller, unit.today(), before,
             (asset.location, asset.custodian_id), change.reason)
    return view(asset)


def dispose(unit: Unit, caller: int, asset_id: int, data: dict) -> dict:
    unit.require(caller, PostKind.FIXED_ASSET_ADMIN, rule=RULE)
    disposal = parse(Disposal, data)
    asset = _on_books(unit, asset_id)
    day = disposal.disposed_on or unit.today()
    if day < asset.acquired_on or day > unit.today():
        raise Invalid("disposed_on lies between the acquisition and today")
    asset.disposed_on, asset.disposal_reason = day, disposal.reason
    _history(unit, asset, "disposed", caller, day, (asset.location, asset.custodian_id),
             reason=disposal.reason)
    return view(asset)


def set_custodian(unit: Unit, asset: Asset, to: int | None, by: int, reason: str) -> None:
    """A handover confirmed (custody_store): the asset's custodian changes, with history."""
    before = (asset.location, asset.custodian_id)
    asset.custodian_id = to
    _history(unit, asset, "handed", by, unit.today(), before, (asset.location, to), reason)


def details(unit: Unit, caller: int, asset_id: int) -> dict:
    unit.caller(caller)
    asset = get(unit, asset_id)
    changes = unit.session.scalars(
        select(AssetChange).where(AssetChange.asset_id == asset.id).order_by(AssetChange.id))
    return {**view(asset), "history": [{
        "change": c.change, "on_day": c.on_day.isoformat(), "at": c.at.isoformat(),
        "by": c.by_id, "from_location": c.from_location, "to_location": c.to_location,
        "from_custodian": c.from_custodian, "to_custodian": c.to_custodian, "reason": c.reason,
    } for c in changes]}


def listing(unit: Unit, caller: int, query: dict) -> dict:
    unit.caller(caller)
    statement = select(Asset)
    if query.get("location"):
        statement = statement.where(Asset.location == str(query["location"]))
    if query.get("kind"):
        statement = statement.where(Asset.kind == str(query["kind"]))
    if not query.get("include_disposed"):
        statement = statement.where(Asset.disposed_on.is_(None))
    limit = query.get("limit") or paging.DEFAULT_LIMIT
    rows = unit.session.scalars(paging.keyset(statement, [Asset.id], query.get("cursor"),
                                              limit)).all()
    items, cursor = paging.page(rows, limit, lambda a: [a.id])
    return {"items": [view(a) for a in items], "next_cursor": cursor}


def sub_ledger(unit: Unit, caller: int, data: dict) -> dict:
    """The sub-ledger (S1.13), for the administrator, the hall's leaders and the bureau office
    (which supervises the hall's fixed assets, S1.15)."""
    unit.require(caller, PostKind.FIXED_ASSET_ADMIN, PostKind.HALL_DIRECTOR,
                 PostKind.HALL_DEPUTY_DIRECTOR, PostKind.BUREAU_OFFICE,
                 rule="S1.13, S1.15: the sub-ledger")
    query = parse(LedgerQuery, data)
    first, last = query.from_, query.to
    if last < first:
        raise Invalid("the period ends before it starts")
    holdings = [ledger.Holding(*row) for row in unit.session.execute(
        select(Asset.kind, Asset.value_cents, Asset.acquired_on, Asset.disposed_on)
        .where(Asset.acquired_on <= last))]
    lines = ledger.sub_ledger(holdings, first, last)
    return {"from": first.isoformat(), "to": last.isoformat(),
            "lines": [line.row() for line in lines],
            "reconciles": all(line.reconciles() for line in lines)}


def _on_books(unit: Unit, asset_id: int) -> Asset:
    asset = get(unit, asset_id)
    if asset.disposed_on is not None:
        raise Conflict(f"asset {asset.tag} was disposed of on {asset.disposed_on}")
    return asset


def _history(unit: Unit, asset: Asset, change: str, by: int, day: date,
             before: tuple | None = None, to: tuple | None = None, reason: str = "") -> None:
    before, to = before or (None, None), to or (None, None)
    unit.session.add(AssetChange(
        asset_id=asset.id, change=change, on_day=day, at=unit.now, by_id=by,
        from_location=before[0], to_location=to[0], from_custodian=before[1],
        to_custodian=to[1], reason=reason or None))
    if change in ("added", "moved", "disposed"):
        unit.publish(AssetChanged(
            asset_id=asset.id, tag=asset.tag, kind=asset.kind, location=asset.location,
            custodian_id=asset.custodian_id, value_cents=asset.value_cents, reason=reason,
            on_day=day, by_staff_id=by, at=unit.now), f"asset.{change}")
