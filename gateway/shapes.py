"""What the gateway hands a service and what it hands back from one: the given members of a
validated body or query, and a service's page with the link to the next."""

from __future__ import annotations

from urllib.parse import quote, urlencode

from pydantic import BaseModel
from werkzeug.wrappers import Request


def fields_given(model: BaseModel) -> dict:
    """A validated model as the plain dict a service takes: only the members given, by their
    wire names (``from``, not ``from_``)."""
    return model.model_dump(mode="json", by_alias=True, exclude_unset=True)


def paged(request: Request, page: dict) -> dict:
    """A service's page ``{items, next_cursor, ...}`` as ``{items, next}``: ``next`` is the
    link to the following page (the same query with ``cursor``), or null on the last."""
    cursor = page.pop("next_cursor", None)
    link = None
    if cursor:
        args = request.args.to_dict()
        args["cursor"] = cursor
        link = f"{quote(request.path)}?{urlencode(args)}"
    return {**page, "next": link}
