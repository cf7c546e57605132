"""Refusals the staffing service's RPCs raise for the gateway to turn into 4xx JSON errors.

They cross RPC as nameko ``RemoteError`` with ``exc_type`` the class name and the message as
``value``; the gateway maps the names to HTTP statuses (``gateway.service.REFUSALS``)."""

from __future__ import annotations

from svckit.paging import BadCursor


class Refusal(Exception):
    """A request the organisation rules refuse; the message is for the person who asked."""


class Invalid(Refusal):
    """The request is malformed or breaks a rule (400)."""


class Forbidden(Refusal):
    """The caller may not do this (403): not the approver at this step, not HR, ..."""


class NotFound(Refusal):
    """No such staff member, post or leave request (404)."""


class Conflict(Refusal):
    """The state does not allow it any more (409): already decided, already recorded."""


# a list's bad cursor or limit (svckit.paging) is refused as a 400 too
REFUSALS = (Invalid, Forbidden, NotFound, Conflict, BadCursor)
