"""The 95598 business taxonomy (issue #3): what the agent makes of the caller's menu choice.

The voice menu gives the first level (S3.1, :class:`contracts.events.Category`); the agent who
takes the call refines it to one of the eight 95598 categories and, where the category has them,
a sub-type (S3.2a: the agent turns the request into a work order). A refinement must stay within
what the caller chose in the menu; an unclassified call may become anything.

Rules of this module:
- a category with sub-types needs one (``other`` is there when nothing fits); a category without
  sub-types takes none;
- only a fault report may carry an area class (urban, rural, remote), which later sets its
  deadlines (S1.22: never exceed the time limit; the limits themselves are settings, not here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from contracts.events import Category


class InvalidClassification(ValueError):
    """A refinement that is unknown or inconsistent with the caller's menu choice."""


class Area(StrEnum):
    """Where a fault is: the area class that sets a fault report's deadlines."""

    URBAN = "urban"
    RURAL = "rural"
    REMOTE = "remote"


AREA_LABELS: Mapping[Area, str] = MappingProxyType(
    {Area.URBAN: "城区", Area.RURAL: "农村", Area.REMOTE: "特殊边远地区"}
)

# The first level, as the voice menu offers it (S3.1).
IVR_LABELS: Mapping[Category, tuple[str, str]] = MappingProxyType(
    {
        Category.INQUIRY: ("inquiry", "咨询查询"),
        Category.FAULT_REPORT: ("fault report", "故障报障"),
        Category.COMPLAINT: ("complaint or report", "投诉举报"),
        Category.SERVICE_APPLICATION: ("service application", "用电报装"),
        Category.UNCLASSIFIED: ("unclassified", "未分类"),
    }
)

# The 95598 categories: key → Chinese label.
CATEGORIES: Mapping[str, str] = MappingProxyType(
    {
        "inquiry": "咨询",
        "fault_report": "故障报修",
        "complaint": "投诉",
        "report": "举报",
        "opinion": "意见",
        "suggestion": "建议",
        "praise": "表扬",
        "service_application": "业务申请",  # 用电报装 in S3.1
    }
)

# Sub-types by category: key → Chinese label. Categories not listed have none.
SUB_TYPES: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "service_application": MappingProxyType(
            {
                "reconnection_after_arrears": "欠费复电",
                "damaged_appliance": "家电损坏",
                "meter_fault": "电能表故障",
                "meter_reading_anomaly": "抄表异常",
                "other": "其他",
            }
        ),
    }
)

# What each menu choice may be refined to.
REFINEMENTS: Mapping[Category, frozenset[str]] = MappingProxyType(
    {
        Category.INQUIRY: frozenset({"inquiry", "opinion", "suggestion", "praise"}),
        Category.FAULT_REPORT: frozenset({"fault_report"}),
        Category.COMPLAINT: frozenset({"complaint", "report"}),
        Category.SERVICE_APPLICATION: frozenset({"service_application"}),
        Category.UNCLASSIFIED: frozenset(CATEGORIES),
    }
)


@dataclass(frozen=True)
class Classification:
    """A work order's business: the menu choice, the refined category, sub-type and area."""

    ivr_category: Category
    category: str
    sub_type: str | None = None
    area: Area | None = None

    @property
    def label(self) -> str:
        """The Chinese label, with the sub-type's: 业务申请/欠费复电."""
        if self.sub_type is None:
            return CATEGORIES[self.category]
        return f"{CATEGORIES[self.category]}/{SUB_TYPES[self.category][self.sub_type]}"


def describe(category: str) -> str:
    """``complaint (投诉)``: a category as messages name it."""
    return f"{category} ({CATEGORIES[category]})"


def sub_types(category: str) -> dict[str, str]:
    """The sub-types of a category (key → label), empty when it has none."""
    _known_category(category)
    return dict(SUB_TYPES.get(category, {}))


def refine(
    ivr_category: Category, category: str, sub_type: str | None, area: Area | str | None = None
) -> Classification:
    """Validate the agent's refinement of a menu choice; raises :class:`InvalidClassification`."""
    ivr_category = _menu_choice(ivr_category)
    category = str(category)
    _known_category(category)
    _consistent(ivr_category, category)
    _check_sub_type(category, sub_type)
    return Classification(ivr_category, category, sub_type, _check_area(category, area))


def _menu_choice(ivr_category: Category | str) -> Category:
    try:
        return Category(ivr_category)
    except ValueError:
        known = ", ".join(c.value for c in Category)
        raise InvalidClassification(
            f"unknown menu choice {ivr_category!r}; they are {known}"
        ) from None


def _known_category(category: str) -> None:
    if category not in CATEGORIES:
        known = ", ".join(CATEGORIES)
        raise InvalidClassification(f"unknown category {category!r}; the categories are {known}")


def _consistent(ivr_category: Category, category: str) -> None:
    allowed = REFINEMENTS[ivr_category]
    if category in allowed:
        return
    english, chinese = IVR_LABELS[ivr_category]
    options = _either([describe(c) for c in CATEGORIES if c in allowed])
    raise InvalidClassification(
        f"the caller chose {english!r} ({chinese}) in the voice menu: it can be refined to "
        f"{options}, not to {describe(category)}"
    )


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _check_sub_type(category: str, sub_type: str | None) -> None:
    known = SUB_TYPES.get(category, {})
    if not known and sub_type is not None:
        raise InvalidClassification(f"{describe(category)} has no sub-types, got {sub_type!r}")
    if known and sub_type is None:
        raise InvalidClassification(
            f"{describe(category)} needs a sub-type: {', '.join(known)} (use 'other' if none fits)"
        )
    if known and sub_type not in known:
        raise InvalidClassification(
            f"{sub_type!r} is not a sub-type of {describe(category)}; they are {', '.join(known)}"
        )


def _check_area(category: str, area: Area | str | None) -> Area | None:
    if area is None:
        return None
    if category != "fault_report":
        raise InvalidClassification(
            f"only a fault report carries an area class, not {describe(category)}"
        )
    try:
        return Area(area)
    except ValueError:
        areas = ", ".join(a.value for a in Area)
        raise InvalidClassification(f"unknown area class {area!r}; they are {areas}") from None
