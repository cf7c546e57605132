"""The hall's fixed-asset sub-ledger (备查帐, S1.13). Pure.

For a period [first, last] (days, both included) and per kind of asset: the count and value
held at the opening (acquired before ``first`` and not disposed of before it), the additions
(acquired within), the disposals (disposed of within) and the closing (held at the end of
``last``). An asset is booked on its acquisition date and written off on its disposal date, so
opening + additions - disposals = closing, in count and in value, for every kind.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date

KINDS = ("computer", "printer", "copier", "desk", "chair", "cabinet", "carpet", "safe",
         "note_counter", "multimedia")  # S1.13, S2.5 (a room's computer, TV, accessories)
TOTAL = "total"


@dataclass(frozen=True)
class Holding:
    kind: str
    value_cents: int
    acquired_on: date
    disposed_on: date | None


@dataclass
class Amount:
    count: int = 0
    value_cents: int = 0

    def add(self, holding: Holding) -> None:
        self.count += 1
        self.value_cents += holding.value_cents


@dataclass
class LedgerLine:
    kind: str
    opening: Amount = field(default_factory=Amount)
    additions: Amount = field(default_factory=Amount)
    disposals: Amount = field(default_factory=Amount)
    closing: Amount = field(default_factory=Amount)

    def reconciles(self) -> bool:
        """opening + additions - disposals = closing, in count and in value."""
        return all(
            getattr(self.opening, part) + getattr(self.additions, part)
            - getattr(self.disposals, part) == getattr(self.closing, part)
            for part in ("count", "value_cents")
        )

    def row(self) -> dict:
        return {"kind": self.kind, **{name: asdict(getattr(self, name)) for name in
                                      ("opening", "additions", "disposals", "closing")}}


def held_on(holding: Holding, day: date) -> bool:
    """Whether the asset is on the books at the end of ``day``."""
    return holding.acquired_on <= day and (holding.disposed_on is None
                                           or holding.disposed_on > day)


def sub_ledger(holdings: Iterable[Holding], first: date, last: date) -> list[LedgerLine]:
    """One line per kind met (in KINDS order, others after), then the total line."""
    if last < first:
        raise ValueError("the period ends before it starts")
    lines: dict[str, LedgerLine] = {}
    total = LedgerLine(TOTAL)
    for holding in holdings:
        line = lines.setdefault(holding.kind, LedgerLine(holding.kind))
        for target in (line, total):
            if holding.acquired_on < first and (holding.disposed_on is None
                                                or holding.disposed_on >= first):
                target.opening.add(holding)
            if first <= holding.acquired_on <= last:
                target.additions.add(holding)
            if holding.disposed_on is not None and first <= holding.disposed_on <= last:
                target.disposals.add(holding)
            if held_on(holding, last):
                target.closing.add(holding)
    order = {kind: n for n, kind in enumerate(KINDS)}
    ordered = sorted(lines.values(), key=lambda line: (order.get(line.kind, len(KINDS)),
                                                       line.kind))
    return [*ordered, total]
