"""The words of S5: whom sales staff visit, why, what they spend, what a customer may raise."""

from __future__ import annotations

from enum import StrEnum

from contracts.events import MatterCategory

__all__ = ["CustomerKind", "ExpenseKind", "MatterCategory", "Purpose", "choice"]


class CustomerKind(StrEnum):
    """S5.2.2: whom sales staff visit."""

    EXISTING = "existing"  # customers we do business with (业务往来之客户)
    TARGET = "target"  # target customers (目标客户)
    POTENTIAL = "potential"  # potential customers (潜在客户)
    PEER = "peer"  # peers in the industry (同行业)


class Purpose(StrEnum):
    """S5.2.1: why a visit is made; customer care (S5.2.1 (3)) in its three kinds."""

    MARKET_RESEARCH = "market_research"
    COMPETITORS = "competitors"
    CARE_RELATIONSHIP = "care_relationship"
    CARE_VOLUME = "care_volume"
    CARE_PAYMENT = "care_payment"
    NEW_CUSTOMERS = "new_customers"
    NEW_PRODUCTS = "new_products"
    COVERAGE = "coverage"


class ExpenseKind(StrEnum):
    """S5.3.2 (5) expenses applied for a visit; gifts and hosting need approval beforehand
    (S5.3.3 (3))."""

    TRAVEL = "travel"
    MATERIALS = "materials"
    GIFT = "gift"
    HOSTING = "hosting"
    OTHER = "other"

    @property
    def needs_approval(self) -> bool:
        return self in (ExpenseKind.GIFT, ExpenseKind.HOSTING)


def choice(kind: type[StrEnum], value: object, what: str, rule: str):
    """``value`` as a member of ``kind``, or ValueError naming the allowed values and the rule."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise ValueError(f"{what} must be one of {allowed} ({rule}), not {value!r}") from None
