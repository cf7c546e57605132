"""Keyset pagination for service lists: pages of ``limit`` rows after an opaque cursor.

A cursor is the sort key of the last row of the previous page (base64 of JSON), so a page is
stable while rows are added; a list is never cut silently: when more rows follow, the page
carries ``next_cursor`` (the gateway turns it into a ``next`` link).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, bindparam, tuple_

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class BadCursor(ValueError):
    """The cursor was not made by this list (or was altered): a 400 at the gateway."""


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"dt": value.isoformat()}
    if isinstance(value, date):
        return {"d": value.isoformat()}
    return value


def _typed(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {"dt"}:
        return datetime.fromisoformat(value["dt"])
    if isinstance(value, dict) and set(value) == {"d"}:
        return date.fromisoformat(value["d"])
    return value


def encode(values: Sequence[Any]) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str, size: int) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = [_typed(v) for v in json.loads(raw)]
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        raise BadCursor(f"not a cursor of this list: {cursor[:40]!r}") from None
    if not isinstance(values, list) or len(values) != size or any(
        isinstance(v, list | dict) for v in values
    ):
        raise BadCursor(f"not a cursor of this list: {cursor[:40]!r}")
    return values


def check_limit(limit: object) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadCursor(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return limit


def keyset(
    query: Select, columns: Sequence[Any], cursor: str | None, limit: int,
    descending: bool = False,
) -> Select:
    """``query`` ordered by ``columns`` (the last one unique), after ``cursor``, one row more
    than ``limit`` (to know whether a next page exists)."""
    limit = check_limit(limit)
    if cursor:
        after = tuple_(*(
            bindparam(None, value, type_=column.type)
            for value, column in zip(decode(cursor, len(columns)), columns, strict=True)
        ))
        key = tuple_(*columns)
        query = query.where(key < after if descending else key > after)
    order = [c.desc() for c in columns] if descending else list(columns)
    return query.order_by(*order).limit(limit + 1)


def page(rows: Sequence[Any], limit: int, key: Callable[[Any], Sequence[Any]]):
    """(the rows of this page, the cursor of the next page or None)."""
    if len(rows) <= limit:
        return list(rows), None
    kept = list(rows[:limit])
    return kept, encode(key(kept[-1]))
