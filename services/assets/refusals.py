"""Refusals the assets service's RPCs raise; the gateway maps them by class name to 4xx
problems (gateway/edge.py REFUSALS: Invalid 400, Forbidden 403, NotFound 404, Conflict 409)."""

from __future__ import annotations


class Refusal(Exception):
    """A request the rules refuse; the message is for the person who asked and cites the rule."""


class Invalid(Refusal):
    """Malformed, or breaks a rule (400)."""


class Forbidden(Refusal):
    """The caller may not do this (403)."""


class NotFound(Refusal):
    """No such asset, seal, key, task, booking ... (404)."""


class Conflict(Refusal):
    """The state does not allow it (409): already returned, room already booked."""


REFUSALS = (Invalid, Forbidden, NotFound, Conflict)
