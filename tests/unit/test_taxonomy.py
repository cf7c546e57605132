"""The 95598 taxonomy (issue #3): menu choice → category → sub-type, checked for consistency."""

from itertools import product

import pytest

from contracts.events import Category
from services.calls.taxonomy import (
    AREA_LABELS,
    CATEGORIES,
    Area,
    Classification,
    InvalidClassification,
    refine,
    sub_types,
)

EXPECTED_CATEGORIES = {
    "inquiry": "咨询",
    "fault_report": "故障报修",
    "complaint": "投诉",
    "report": "举报",
    "opinion": "意见",
    "suggestion": "建议",
    "praise": "表扬",
    "service_application": "业务申请",
}
SERVICE_APPLICATION_SUB_TYPES = {
    "reconnection_after_arrears": "欠费复电",
    "damaged_appliance": "家电损坏",
    "meter_fault": "电能表故障",
    "meter_reading_anomaly": "抄表异常",
    "other": "其他",
}
# Written out here, not read from the module, so a change to the rules shows up as a failure.
CONSISTENT = {
    Category.INQUIRY: {"inquiry", "opinion", "suggestion", "praise"},
    Category.FAULT_REPORT: {"fault_report"},
    Category.COMPLAINT: {"complaint", "report"},
    Category.SERVICE_APPLICATION: {"service_application"},
    Category.UNCLASSIFIED: set(EXPECTED_CATEGORIES),
}


def a_sub_type(category: str) -> str | None:
    return "other" if category == "service_application" else None


def test_the_eight_categories_with_their_chinese_labels():
    assert dict(CATEGORIES) == EXPECTED_CATEGORIES


def test_service_applications_have_the_five_sub_types():
    assert sub_types("service_application") == SERVICE_APPLICATION_SUB_TYPES


@pytest.mark.parametrize("category", sorted(set(EXPECTED_CATEGORIES) - {"service_application"}))
def test_other_categories_have_no_sub_types(category):
    assert sub_types(category) == {}


def test_sub_types_hands_out_a_copy():
    sub_types("service_application").clear()
    assert sub_types("service_application") == SERVICE_APPLICATION_SUB_TYPES


@pytest.mark.parametrize("category", ["unclassified", "repair", "", "Inquiry"])
def test_sub_types_of_an_unknown_category_is_refused(category):
    with pytest.raises(InvalidClassification, match="unknown category"):
        sub_types(category)


@pytest.mark.parametrize(
    ("ivr", "category"), list(product(list(Category), list(EXPECTED_CATEGORIES)))
)
def test_refinement_must_be_consistent_with_the_menu_choice(ivr, category):
    if category in CONSISTENT[ivr]:
        result = refine(ivr, category, a_sub_type(category))
        assert result == Classification(ivr, category, a_sub_type(category))
    else:
        with pytest.raises(InvalidClassification, match="voice menu"):
            refine(ivr, category, a_sub_type(category))


def test_an_inconsistent_refinement_says_what_is_possible():
    with pytest.raises(InvalidClassification) as refused:
        refine(Category.COMPLAINT, "inquiry", None)
    assert str(refused.value) == (
        "the caller chose 'complaint or report' (投诉举报) in the voice menu: it can be refined to "
        "complaint (投诉) or report (举报), not to inquiry (咨询)"
    )


def test_the_error_is_a_value_error():
    assert issubclass(InvalidClassification, ValueError)


def test_menu_choice_may_come_as_its_stored_string():
    assert refine("complaint", "report", None).ivr_category is Category.COMPLAINT


@pytest.mark.parametrize("ivr", ["complaints", "", "5"])
def test_an_unknown_menu_choice_is_refused(ivr):
    with pytest.raises(InvalidClassification, match="unknown menu choice"):
        refine(ivr, "inquiry", None)


@pytest.mark.parametrize("category", ["unclassified", "fault", "咨询"])
def test_an_unknown_category_is_refused(category):
    with pytest.raises(InvalidClassification, match="unknown category"):
        refine(Category.UNCLASSIFIED, category, None)


@pytest.mark.parametrize("sub_type", list(SERVICE_APPLICATION_SUB_TYPES))
def test_each_service_application_sub_type(sub_type):
    result = refine(Category.SERVICE_APPLICATION, "service_application", sub_type)
    assert result.sub_type == sub_type
    assert result.label == f"业务申请/{SERVICE_APPLICATION_SUB_TYPES[sub_type]}"


def test_a_service_application_needs_a_sub_type():
    with pytest.raises(InvalidClassification, match="needs a sub-type"):
        refine(Category.SERVICE_APPLICATION, "service_application", None)


@pytest.mark.parametrize("sub_type", ["meter", "", "Other", "欠费复电"])
def test_an_unknown_sub_type_is_refused(sub_type):
    with pytest.raises(InvalidClassification, match="is not a sub-type"):
        refine(Category.SERVICE_APPLICATION, "service_application", sub_type)


def test_a_category_without_sub_types_takes_none():
    with pytest.raises(InvalidClassification, match="has no sub-types"):
        refine(Category.INQUIRY, "inquiry", "other")


def test_label_without_a_sub_type():
    assert refine(Category.INQUIRY, "praise", None).label == "表扬"


@pytest.mark.parametrize("area", list(Area))
def test_a_fault_report_may_carry_an_area_class(area):
    assert refine(Category.FAULT_REPORT, "fault_report", None, area).area is area


def test_area_classes_and_labels():
    assert {a.value: AREA_LABELS[a] for a in Area} == {
        "urban": "城区",
        "rural": "农村",
        "remote": "特殊边远地区",
    }


def test_an_area_class_may_come_as_a_string():
    assert refine(Category.FAULT_REPORT, "fault_report", None, "rural").area is Area.RURAL


def test_the_area_class_is_optional():
    assert refine(Category.FAULT_REPORT, "fault_report", None).area is None


def test_only_a_fault_report_carries_an_area_class():
    with pytest.raises(InvalidClassification, match="only a fault report"):
        refine(Category.INQUIRY, "inquiry", None, Area.URBAN)


def test_an_unknown_area_class_is_refused():
    with pytest.raises(InvalidClassification, match="unknown area class"):
        refine(Category.FAULT_REPORT, "fault_report", None, "suburban")


def test_a_classification_is_immutable():
    result = refine(Category.INQUIRY, "inquiry", None)
    with pytest.raises(AttributeError):
        result.category = "complaint"
