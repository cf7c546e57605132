"""Reports as CSV for spreadsheets: any list of JSON objects, nested objects flattened to
``outer.inner`` columns; UTF-8 with a byte-order mark (so Excel reads Chinese names), and every
text cell a spreadsheet would take for a formula (starting with = + - @, a tab or a CR) escaped
with a leading apostrophe (OWASP "CSV injection")."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any

from werkzeug.wrappers import Response

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def flatten(row: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def to_csv(rows: Iterable[Mapping[str, Any]]) -> str:
    """One line per row; the columns are every key met, in the order first met; None is empty."""
    flat = [flatten(row) for row in rows]
    columns = list(dict.fromkeys(name for row in flat for name in row))
    out = io.StringIO()
    writer = csv.DictWriter(out, columns, restval="", lineterminator="\r\n")
    writer.writeheader()
    for row in flat:
        writer.writerow({k: cell(v) for k, v in row.items()})
    return out.getvalue()


def cell(value: Any) -> Any:
    """A value as a cell: None empty, text that would start a formula escaped; numbers as
    they are (a negative number is a number, not a formula)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_download(text: str, filename: str) -> Response:
    """The CSV as an attachment, UTF-8 with a byte-order mark."""
    return Response(
        text.encode("utf-8-sig"),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )
