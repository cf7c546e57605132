"""The customer registry's rules (S1.10, S3.2: keeping customer-relationship information):
which fields a customer has, their declared lengths, and how a search pages. Pure.

A customer is recognised by the number they call from (caller ID), so the number is the key: it
is given when the customer is registered and never changed (register the new number instead).
Hotline staff (any hotline role) register and update customers; the gateway checks the role.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

NUMBER = re.compile(r"^\+?[0-9]{3,32}$")
# field → (declared length, required when registering); lengths as models.Customer declares
FIELDS: Mapping[str, tuple[int, bool]] = MappingProxyType(
    {"name": (256, True), "work_unit": (256, False), "contact": (128, False),
     "address": (256, False)}
)
QUERY_MAX = 64
PER_PAGE_MAX = 100
PER_PAGE_DEFAULT = 20


class CustomerError(Exception):
    """A customer request the rules refuse; the message is meant for the person."""


class InvalidCustomer(CustomerError, ValueError):
    """Missing, unknown or malformed fields (400)."""


class CustomerNotFound(CustomerError, LookupError):
    """No customer with that number (404)."""


class CustomerConflict(CustomerError):
    """A customer with that number is registered already (409)."""


def number(value: Any) -> str:
    if not isinstance(value, str) or not NUMBER.match(value.strip()):
        raise InvalidCustomer(
            f"number must be the caller's phone number (3 to 32 digits, maybe a leading +), "
            f"got {value!r}"
        )
    return value.strip()


def new_customer(data: Mapping[str, Any]) -> dict[str, str]:
    """The fields of a customer to register: number and name needed, the rest optional."""
    _no_unknown(data, {"number", *FIELDS})
    values = _fields(data)
    missing = [name for name, (_, needed) in FIELDS.items() if needed and not values.get(name)]
    if missing:
        raise InvalidCustomer(f"a customer needs {', '.join(missing)}")
    return {"number": number(data.get("number")), **values}


def changes(data: Mapping[str, Any]) -> dict[str, str]:
    """The fields an update sets (at least one); the number is the key and stays."""
    if "number" in data:
        raise InvalidCustomer("a customer's number cannot be changed; register the new number")
    _no_unknown(data, set(FIELDS))
    values = _fields(data)
    if not values:
        raise InvalidCustomer(f"an update sets at least one of {', '.join(FIELDS)}")
    if "name" in values and not values["name"]:
        raise InvalidCustomer("name cannot be empty")
    return values


@dataclass(frozen=True)
class Search:
    """A page of a search by number (prefix) or name (part of it); no query: every customer."""

    query: str
    page: int = 1
    per_page: int = PER_PAGE_DEFAULT

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def by_number(self) -> bool:
        return bool(self.query) and self.query.lstrip("+").isdigit()


def search(query: Any = "", page: Any = 1, per_page: Any = PER_PAGE_DEFAULT) -> Search:
    text = "" if query is None else query
    if not isinstance(text, str) or len(text.strip()) > QUERY_MAX:
        raise InvalidCustomer(f"q is text of at most {QUERY_MAX} characters")
    return Search(text.strip(), _whole(page, "page", 1, 10**6),
                  _whole(per_page, "per_page", 1, PER_PAGE_MAX))


def _whole(value: Any, name: str, low: int, high: int) -> int:
    try:
        result = int(value)
    except (TypeError, ValueError):
        raise InvalidCustomer(f"{name} must be a whole number, got {value!r}") from None
    if isinstance(value, bool) or not low <= result <= high:
        raise InvalidCustomer(f"{name} must be from {low} to {high}, got {value!r}")
    return result


def _no_unknown(data: Mapping[str, Any], known: set[str]) -> None:
    unknown = sorted(set(data) - known)
    if unknown:
        has = ", ".join(sorted(known))
        raise InvalidCustomer(f"a customer has {has}; not {', '.join(unknown)}")


def _fields(data: Mapping[str, Any]) -> dict[str, str]:
    values = {}
    for name, (limit, _) in FIELDS.items():
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, str):
            raise InvalidCustomer(f"{name} must be text, got {value!r}")
        if len(value.strip()) > limit:
            raise InvalidCustomer(f"{name} is at most {limit} characters, got {len(value.strip())}")
        values[name] = value.strip()
    return values
