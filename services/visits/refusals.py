"""The visits service's refusals; the gateway maps each by class name to a status
(gateway/edge.py REFUSALS): Invalid 400, Forbidden 403, NotFound 404, Conflict 409, and
StaffingUnavailable 503."""

from __future__ import annotations


class Refusal(Exception):
    """A request the rules refuse, with a message for the person (citing the rule)."""


class Invalid(Refusal):
    """Bad input."""


class Forbidden(Refusal):
    """Not the caller's to do or read."""


class NotFound(Refusal):
    """No such thing."""


class Conflict(Refusal):
    """Not now: the thing's state does not allow it."""


class StaffingUnavailable(Exception):
    """Staffing did not say in time who is asking."""


REFUSALS = (Invalid, Forbidden, NotFound, Conflict, StaffingUnavailable)
