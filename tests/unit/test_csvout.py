"""Reports as CSV: nested objects become ``outer.inner`` columns, None an empty cell."""

import csv
import io

from gateway.csvout import to_csv


def test_nested_rows_become_flat_columns_in_first_met_order():
    rows = [
        {"month": "2024-10", "department": "营销部", "totals": {"late_minutes": 15, "people": 2}},
        {"month": "2024-10", "department": "(none)", "totals": {"late_minutes": 0},
         "note": None},
    ]
    text = to_csv(rows)
    assert text.splitlines()[0] == "month,department,totals.late_minutes,totals.people,note"
    table = list(csv.DictReader(io.StringIO(text)))
    assert table[0]["totals.late_minutes"] == "15" and table[0]["note"] == ""
    assert (table[1]["totals.people"], table[1]["note"]) == ("", "")
