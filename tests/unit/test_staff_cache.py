"""Staffing's answers kept a few seconds (svckit/staff_cache.py): calls' staff records, assets'
organisation and staff records."""

from __future__ import annotations

from svckit.staff_cache import MAX_ENTRIES, StaffCache


def test_a_record_is_asked_again_after_its_time_or_when_told():
    now, asked = [0.0], []

    def fetch(staff_id):
        asked.append(staff_id)
        return {"id": staff_id, "n": len(asked)}

    cache = StaffCache(2.0, clock=lambda: now[0])
    assert cache.staff(1, fetch)["n"] == 1 and cache.staff(1, fetch)["n"] == 1
    now[0] = 2.5
    assert cache.staff(1, fetch)["n"] == 2
    cache.forget(1)
    assert cache.staff(1, fetch)["n"] == 3
    assert StaffCache(0.0).staff(1, fetch)["n"] == 4  # 0: ask every time


def test_an_unknown_person_is_kept_too_and_others_are_not_forgotten():
    asked = []

    def fetch(staff_id):
        asked.append(staff_id)
        return None if staff_id == 9 else {"id": staff_id}

    cache = StaffCache(2.0, clock=lambda: 0.0)
    assert cache.staff(9, fetch) is None and cache.staff(9, fetch) is None
    cache.staff(1, fetch)
    cache.forget(9)
    cache.staff(1, fetch)
    cache.staff(9, fetch)
    assert asked == [9, 1, 9]


def test_the_organisation_is_asked_again_after_its_time_or_any_staffing_event():
    now, asked = [0.0], []

    def organisation():
        asked.append(now[0])
        return {"version": len(asked)}

    cache = StaffCache(2.0, clock=lambda: now[0])
    assert cache.org(organisation) == cache.org(organisation) == {"version": 1}
    now[0] = 1.9
    assert cache.org(organisation)["version"] == 1
    now[0] = 2.0
    assert cache.org(organisation)["version"] == 2
    cache.forget()  # leave.approved: no one person
    assert cache.org(organisation)["version"] == 3
    cache.forget(7)
    assert cache.org(organisation)["version"] == 4


def test_the_records_kept_are_bounded():
    cache = StaffCache(60.0, clock=lambda: 0.0)
    for staff_id in range(MAX_ENTRIES + 1):
        cache.staff(staff_id, lambda wanted: {"id": wanted})
    assert len(cache.entries) <= MAX_ENTRIES
