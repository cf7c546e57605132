"""The shapes of the assets service's inputs, declared once: the service parses every RPC
argument with them, and the gateway declares its bodies and queries with the same models
(gateway/models.py). Lengths match the columns (models.py); money is in cents (fen)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from services.assets.ledger import KINDS
from services.assets.refusals import Invalid

MAX_ID = 2**63 - 1
MAX_CENTS = 10**12  # ten billion yuan: beyond any asset of a hall


def _no_surrogates(value: str) -> str:
    if any("\ud800" <= ch <= "\udfff" for ch in value):
        raise ValueError("text must not contain lone UTF-16 surrogates")
    return value


def text(max_length: int, min_length: int = 0, pattern: str | None = None) -> Any:
    return Annotated[str, StringConstraints(max_length=max_length, min_length=min_length,
                                            pattern=pattern), AfterValidator(_no_surrogates)]


def _in_years(value: date | datetime) -> date | datetime:
    if not 2000 <= value.year <= 2099:
        raise ValueError("the year must be 2000 to 2099")
    return value


Day = Annotated[date, AfterValidator(_in_years)]
Instant = Annotated[AwareDatetime, AfterValidator(_in_years)]
StaffId = Annotated[int, Field(ge=1, le=MAX_ID)]
Cents = Annotated[int, Field(ge=0, le=MAX_CENTS)]
Kind = Literal[KINDS]  # type: ignore[valid-type]
Code = text(40, 1, r"^[A-Za-z0-9_:.-]+$")


class Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class NewAsset(Shape):
    tag: Code
    kind: Kind
    name: text(100, 1)
    location_kind: Literal["window", "room", "office"]
    location: Code
    custodian_id: StaffId | None = None
    acquired_on: Day
    value_cents: Cents


class AssetMove(Shape):
    location_kind: Literal["window", "room", "office"]
    location: Code
    custodian_id: StaffId | None = None
    reason: text(200) = ""


class Disposal(Shape):
    reason: text(200, 1)
    disposed_on: Day | None = None


class LedgerQuery(Shape):
    from_: Day = Field(alias="from")
    to: Day
    format: Literal["json", "csv"] = "json"

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class SealOut(Shape):
    purpose: text(200) = ""


class KeyGiven(Shape):
    to_staff_id: StaffId
    note: text(200) = ""


class WindowCheckIn(Shape):
    """``check_in``: the computer and printer work (S1.9); ``check_out``: cabinets locked and
    power off. A fault found opens a repair with the bureau office."""

    kind: Literal["check_in", "check_out"]
    equipment_ok: bool = True
    locked_and_off: bool | None = None
    fault: text(200, 1) | None = None


class NewRepair(Shape):
    description: text(200, 1)
    asset_id: StaffId | None = None
    window: Code | None = None


class NewSupply(Shape):
    item: text(100, 1)
    quantity: Annotated[int, Field(ge=1, le=10_000)]


class SupplyReportQuery(Shape):
    month: text(7, 7, r"^20\d{2}-(0[1-9]|1[0-2])$")
    department: text(64, 1) | None = None
    format: Literal["json", "csv"] = "json"


class NewBooking(Shape):
    starts_at: Instant
    ends_at: Instant
    purpose: Literal["training", "meeting", "other"]
    title: text(200, 1)
    attendees: Annotated[int, Field(ge=1, le=10_000)]
    company_wide: bool = False


class BookingQuery(Shape):
    day: Day | None = None


class NewFault(Shape):
    description: text(500, 1)
    asset_id: StaffId | None = None


class Charge(Shape):
    """Damage from misuse is paid at cost by the person and department responsible (S2.5)."""

    staff_id: StaffId
    department: text(64, 1)
    charge_cents: Cents


class CheckQuery(Shape):
    day: Day | None = None


def parse(model: type[Shape], data: object) -> Any:
    """``data`` (an RPC argument) as ``model``, or Invalid naming what is wrong."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}"
                             for e in exc.errors(include_url=False)[:5])
        raise Invalid(problems) from None
