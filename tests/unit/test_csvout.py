"""Reports as CSV: nested objects become ``outer.inner`` columns, None an empty cell."""

import csv
import io

from gateway.csvout import csv_download, to_csv


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


def test_cells_that_would_start_a_formula_are_escaped_and_numbers_kept():
    rows = [{"a": "=1+1", "b": "+86", "c": "-x", "d": "@SUM(A1)", "e": "\tx", "f": "\rx",
             "g": -5, "h": "张三"}]
    table = next(csv.DictReader(io.StringIO(to_csv(rows), newline="")))
    assert [table[k] for k in "abcdef"] == ["'=1+1", "'+86", "'-x", "'@SUM(A1)", "'\tx", "'\rx"]
    assert (table["g"], table["h"]) == ("-5", "张三")


def test_a_download_is_utf8_with_a_byte_order_mark():
    response = csv_download(to_csv([{"name": "张三"}]), "x.csv")
    assert response.get_data().startswith(b"\xef\xbb\xbfname\r\n")
    assert response.get_data().decode("utf-8-sig") == "name\r\n张三\r\n"
