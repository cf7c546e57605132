"""Deadline policies as data, their clocks and early warnings (issue 3), on real calendar dates.

Calendar facts used (State Council arrangements, as carried by chinese-calendar 1.11.0):
Spring Festival 2026 holiday 02-15 .. 02-23, make-up working Saturdays 02-14 and 02-28;
Labour Day 2026 holiday 05-01 .. 05-05, make-up working Saturday 05-09.
"""

from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from services.calls import deadlines
from services.calls.deadlines import (
    DEFAULT_FILE,
    Policy,
    PolicyFileError,
    Unit,
    clocks_for,
    default_policies,
    due_at,
    load_policies,
    warning_points,
)
from svckit import workdays

SH = ZoneInfo("Asia/Shanghai")


def at(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SH)


def policy(key: str) -> Policy:
    return next(p for p in default_policies() if p.key == key)


def write(tmp_path: Path, text: str, name: str = "policies.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# --- the default file -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "limit", "unit"),
    [
        ("fault_repair.urban", 45, Unit.MINUTES),
        ("fault_repair.rural", 90, Unit.MINUTES),
        ("fault_repair.remote", 120, Unit.MINUTES),
        ("complaint.contact", 1, Unit.WORKING_DAYS),
        ("complaint.reply", 7, Unit.WORKING_DAYS),
        ("service_application.reconnection", 24, Unit.HOURS),
        ("service_application.damaged_appliance", 24, Unit.HOURS),
        ("service_application.meter_fault", 4, Unit.WORKING_DAYS),
        ("service_application.meter_reading_anomaly", 6, Unit.WORKING_DAYS),
        ("service_application.other", 5, Unit.WORKING_DAYS),
        ("inquiry.callback", 1, Unit.WORKING_DAYS),
    ],
)
def test_the_published_commitments_are_the_defaults(key, limit, unit):
    assert (policy(key).limit, policy(key).unit) == (limit, unit)


def test_the_default_file_has_exactly_these_policies():
    assert len(default_policies()) == 11
    assert load_policies() == default_policies()


# --- which clocks run -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("area", "key"),
    [
        ("urban", "fault_repair.urban"),
        ("rural", "fault_repair.rural"),
        ("remote", "fault_repair.remote"),
        (None, "fault_repair.urban"),  # area not known yet: the strictest applies
        ("island", "fault_repair.urban"),  # area not listed: the strictest applies
    ],
)
def test_a_fault_report_gets_its_areas_on_site_clock(area, key):
    assert [p.key for p in clocks_for("fault_report", None, area)] == [key]


def test_a_complaint_runs_two_clocks():
    clocks = clocks_for("complaint", None, "urban")
    assert [(p.key, p.clock) for p in clocks] == [
        ("complaint.contact", "contact"),
        ("complaint.reply", "reply"),
    ]


@pytest.mark.parametrize(
    ("sub_type", "key"),
    [
        ("reconnection_after_arrears", "service_application.reconnection"),
        ("damaged_appliance", "service_application.damaged_appliance"),
        ("meter_fault", "service_application.meter_fault"),
        ("meter_reading_anomaly", "service_application.meter_reading_anomaly"),
        ("other", "service_application.other"),
        ("new_connection", "service_application.other"),
        (None, "service_application.other"),
    ],
)
def test_a_service_application_gets_its_sub_types_clock(sub_type, key):
    assert [p.key for p in clocks_for("service_application", sub_type, "rural")] == [key]


def test_an_inquiry_has_a_callback_clock_and_praise_has_none():
    assert [p.key for p in clocks_for("inquiry")] == ["inquiry.callback"]
    assert clocks_for("praise") == []


# --- due times ------------------------------------------------------------------------------


def test_minutes_are_wall_clock_even_on_a_holiday():
    opened = at(2026, 2, 17, 23, 30)  # Spring Festival
    assert due_at(policy("fault_repair.urban"), opened) == at(2026, 2, 18, 0, 15)
    assert due_at(policy("fault_repair.remote"), opened) == at(2026, 2, 18, 1, 30)


def test_hours_are_wall_clock():
    assert due_at(policy("service_application.reconnection"), at(2026, 2, 13, 18)) == at(
        2026, 2, 14, 18
    )


def test_a_meter_fault_opened_the_working_day_before_the_spring_festival():
    # Make-up Saturday 02-14 is that working day; then 02-24, 25, 26, 27.
    assert due_at(policy("service_application.meter_fault"), at(2026, 2, 14, 10)) == at(
        2026, 2, 27, 10
    )


def test_a_complaint_reply_spanning_a_make_up_saturday_counts_it():
    # Wed 05-06 + 7: 05-07, 05-08, Sat 05-09, 05-11, 05-12, 05-13, 05-14.
    assert due_at(policy("complaint.reply"), at(2026, 5, 6, 9)) == at(2026, 5, 14, 9)


def test_complaint_contact_and_inquiry_callback_over_a_weekend_and_a_holiday():
    assert due_at(policy("complaint.contact"), at(2026, 3, 6, 18)) == at(2026, 3, 9, 18)
    # Opened during the holiday: the clock starts 02-24 00:00.
    assert due_at(policy("inquiry.callback"), at(2026, 2, 20, 11)) == at(2026, 2, 25)


def test_working_day_due_times_are_svckit_workdays():
    for opened in (at(2026, 2, 13, 10), at(2026, 2, 21, 8), at(2026, 9, 30, 16, 59)):
        for key in ("complaint.reply", "service_application.meter_reading_anomaly"):
            expected = workdays.add_working_days(opened, policy(key).limit)
            assert due_at(policy(key), opened) == expected


def test_due_times_come_back_in_local_time_for_a_utc_opening():
    due = due_at(policy("complaint.contact"), datetime(2026, 2, 13, 2, tzinfo=UTC))
    assert due == at(2026, 2, 14, 10)
    assert due.utcoffset() == timedelta(hours=8)


# --- early warnings -------------------------------------------------------------------------


def test_warning_points_of_a_minutes_limit():
    assert warning_points(policy("fault_repair.urban"), at(2026, 3, 10, 10)) == [
        (50, at(2026, 3, 10, 10, 22) + timedelta(seconds=30)),
        (75, at(2026, 3, 10, 10, 33) + timedelta(seconds=45)),
        (90, at(2026, 3, 10, 10, 40) + timedelta(seconds=30)),
        (100, at(2026, 3, 10, 10, 45)),
    ]


def test_warning_points_of_a_working_day_limit_are_shares_of_working_time():
    # Friday 16:00 + 1 working day: 8 h left on Friday, the rest from Monday 00:00.
    assert warning_points(policy("complaint.contact"), at(2026, 3, 6, 16)) == [
        (50, at(2026, 3, 9, 4)),
        (75, at(2026, 3, 9, 10)),
        (90, at(2026, 3, 9, 13, 36)),
        (100, at(2026, 3, 9, 16)),
    ]


def test_warning_points_across_the_spring_festival():
    # Fri 02-13 12:00 + 4 working days: 12 h on 02-13, 24 h on Sat 02-14, then from 02-24.
    meter = policy("service_application.meter_fault")
    opened = at(2026, 2, 13, 12)
    points = warning_points(meter, opened)
    assert points == [
        (50, at(2026, 2, 24, 12)),
        (75, at(2026, 2, 25, 12)),
        (90, at(2026, 2, 26, 2, 24)),
        (100, at(2026, 2, 26, 12)),
    ]
    assert points[-1][1] == due_at(meter, opened)
    for percent, instant in points:
        assert workdays.working_days_between(opened, instant) == pytest.approx(4 * percent / 100)


# --- loading and validation -----------------------------------------------------------------

GOOD = """
policies:
  - key: custom.thing
    category: opinion
    clock: reply
    limit: 3
    unit: working_days
"""


def test_a_valid_file_loads(tmp_path):
    (loaded,) = load_policies(path=write(tmp_path, GOOD))
    assert (loaded.key, loaded.limit, loaded.unit, loaded.area) == (
        "custom.thing",
        3,
        Unit.WORKING_DAYS,
        None,
    )


def test_a_bad_unit_is_named(tmp_path):
    path = write(tmp_path, GOOD.replace("working_days", "fortnights"))
    with pytest.raises(PolicyFileError, match=r"custom\.thing.*unit.*'minutes'") as error:
        load_policies(path=path)
    assert str(path) in str(error.value)


@pytest.mark.parametrize("field", ["limit", "unit", "category", "clock"])
def test_a_missing_field_is_named(tmp_path, field):
    text = "\n".join(line for line in GOOD.splitlines() if f"{field}:" not in line)
    with pytest.raises(PolicyFileError, match=rf"custom\.thing': {field}: Field required"):
        load_policies(path=write(tmp_path, text))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("limit: 3", "limit: 0"), "limit: Input should be greater than 0"),
        (("limit: 3", "limit: '3'"), "limit: Input should be a valid integer"),
        (("limit: 3", "limt: 3"), "limt: Extra inputs are not permitted"),
        (("key: custom.thing", "key: Custom Thing"), "key: String should match pattern"),
    ],
)
def test_bad_values_are_named(tmp_path, change, message):
    with pytest.raises(PolicyFileError, match=message):
        load_policies(path=write(tmp_path, GOOD.replace(*change)))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("policies: [", "not valid YAML"),
        ("", "expected a mapping with one entry"),
        ("rules: []", "expected a mapping with one entry"),
        ("policies:\n  - limit: 3", "policy #1 must be a mapping with a 'key'"),
        (GOOD + GOOD.split("policies:")[1], "duplicate policy keys: custom.thing"),
    ],
)
def test_malformed_files_are_refused(tmp_path, text, message):
    with pytest.raises(PolicyFileError, match=message):
        load_policies(path=write(tmp_path, text))


def test_a_missing_file_is_refused(tmp_path):
    with pytest.raises(PolicyFileError, match="cannot read"):
        load_policies(path=tmp_path / "nowhere.yaml")


def test_two_policies_for_the_same_orders_and_clock_are_refused(tmp_path):
    text = GOOD + GOOD.split("policies:")[1].replace("custom.thing", "custom.other")
    with pytest.raises(PolicyFileError, match="'custom.thing' and 'custom.other' both apply"):
        load_policies(path=write(tmp_path, text))


def test_an_override_changes_fields_of_a_default_and_adds_policies(tmp_path):
    override = write(
        tmp_path,
        "policies:\n  - key: complaint.reply\n    limit: 5\n" + GOOD.split("policies:")[1],
        "override.yaml",
    )
    policies = load_policies(override=override)
    reply = next(p for p in policies if p.key == "complaint.reply")
    assert (reply.limit, reply.unit, reply.clock) == (5, Unit.WORKING_DAYS, "reply")
    assert [p.key for p in clocks_for("opinion", policies=policies)] == ["custom.thing"]
    assert len(policies) == len(default_policies()) + 1
    assert due_at(reply, at(2026, 5, 6, 9)) == at(2026, 5, 12, 9)


def test_an_override_is_validated_and_named(tmp_path):
    bad_change = write(
        tmp_path, "policies:\n  - key: complaint.reply\n    unit: weeks\n", "o1.yaml"
    )
    with pytest.raises(PolicyFileError, match=r"o1\.yaml \(over .*complaint\.reply'.*unit"):
        load_policies(override=bad_change)
    incomplete = write(tmp_path, "policies:\n  - key: new.clock\n    limit: 2\n", "o2.yaml")
    with pytest.raises(PolicyFileError, match=r"o2\.yaml: policy 'new\.clock'.*Field required"):
        load_policies(override=incomplete)


def test_the_default_file_sits_beside_the_module():
    assert DEFAULT_FILE.name == "deadline_policies.yaml"
    assert DEFAULT_FILE.is_file()


def test_the_operator_s_override_file_changes_the_defaults(tmp_path, monkeypatch):
    override = tmp_path / "overrides.yaml"
    override.write_text("policies:\n  - key: complaint.reply\n    limit: 5\n", encoding="utf-8")
    monkeypatch.setenv("DEADLINE_POLICY_OVERRIDES", str(override))
    deadlines.default_policies.cache_clear()
    try:
        reply = next(p for p in deadlines.default_policies() if p.key == "complaint.reply")
        assert (reply.limit, reply.unit) == (5, deadlines.Unit.WORKING_DAYS)
    finally:
        monkeypatch.delenv("DEADLINE_POLICY_OVERRIDES")
        deadlines.default_policies.cache_clear()
