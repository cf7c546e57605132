"""A work order's lifecycle (issue #3): a table-driven state machine, pure and immutable.

::

    new → assigned → dispatched → in_progress → replied → revisited → closed
             └────────── reply (answered by the agent, S1.10) ──┘
    revisit (unsolved), reopen → assigned          merge → merged (closed with its parent)
    contact, promise_callback, urge, classify, record_result: the status stays
    describe (the customer's words, the place, the promise), escalate: the status stays

:data:`RULES` holds, for each action, the states it applies to, the state it leads to, who may
take it (with the rules behind that choice) and the fields it needs. :func:`apply` checks one
action against the table and returns the new state and its history entry; the entry names the
event the service will publish. Nothing here touches a broker or a database.

Who may act: the hotline roles form a ladder, seat agent < duty leader < deputy team lead, each
doing the work of those below (S3.2). Two parties stand outside it: a handling department's
staff, who act only on work orders dispatched to their own department, and the system (sweeps
and automation).

Reopening, after an unsolved revisit or by a leader, goes back to *assigned*, not to *in
progress*: the matter returns to the agent who owns it (S3.2a: the agent follows it through the
whole process; S1.6: first-contact responsibility), who decides whether the same department,
another one or a leader (S1.6: escalation) acts next. Going straight to *in progress* would
presume the first department was right, and an order answered on the spot has no department.

Closing a parent closes the orders merged into it: :func:`close_children` gives their
transitions (merged → closed), the one transition outside the table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from contracts.events import ROLE_LADDER, Role, roles_from
from contracts.events import WorkOrderStatus as Status
from services.calls import escalation
from services.calls.taxonomy import Classification


class Action(StrEnum):
    ASSIGN = "assign"
    DISPATCH = "dispatch"
    START = "start"
    RECORD_RESULT = "record_result"
    URGE = "urge"
    REPLY = "reply"
    REVISIT = "revisit"
    CLOSE = "close"
    REOPEN = "reopen"
    MERGE = "merge"
    CLASSIFY = "classify"
    CONTACT = "contact"
    PROMISE_CALLBACK = "promise_callback"
    DESCRIBE = "describe"
    ESCALATE = "escalate"


class Party(StrEnum):
    """Actors outside the hotline's role ladder."""

    DEPARTMENT = "department"
    SYSTEM = "system"


LADDER: tuple[Role, ...] = ROLE_LADDER
REOPENS_TO = Status.ASSIGNED

Who = Role | Party


class LifecycleError(Exception):
    """A transition the rules refuse; the message is meant for the person who tried it."""


class IllegalTransition(LifecycleError):
    """The action does not apply to the work order as it stands."""


class NotAllowed(LifecycleError):
    """The actor's role may not take the action."""


class InvalidFields(LifecycleError, ValueError):
    """Missing, unknown or malformed fields for the action."""


@dataclass(frozen=True)
class Actor:
    """Who takes an action: a hotline role, a department's staff member or the system."""

    id: str
    role: Who
    name: str = ""
    department: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", _as_who(self.role))
        if self.role is Party.DEPARTMENT and not self.department:
            raise ValueError("a handling department's staff member needs a department")


@dataclass(frozen=True)
class HistoryEntry:
    """One transition, as stored in the order's history and published as ``event``."""

    order_id: str
    action: Action
    event: str
    from_status: Status
    to_status: Status
    actor: Actor
    at: datetime
    note: str = ""
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderState:
    """What the lifecycle knows of a work order; :func:`apply` returns a new one."""

    id: str
    status: Status = Status.NEW
    assignee: str | None = None
    department: str | None = None
    result: str | None = None
    reply: str | None = None
    satisfaction: int | None = None
    solved: bool | None = None
    parent_id: str | None = None
    reopened: int = 0
    urged: int = 0
    matter: str | None = None
    address: str | None = None
    meter_number: str | None = None
    transformer_area: str | None = None
    promise: str | None = None
    escalation_level: Role | None = None
    history: tuple[HistoryEntry, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", Status(self.status))
        if self.escalation_level is not None:
            object.__setattr__(self, "escalation_level", Role(self.escalation_level))


# Field checks: take the field's name and value, return the value to store or raise.
Check = Callable[[str, Any], Any]


def _text(name: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidFields(f"{name} must be non-empty text, got {value!r}")
    return value.strip()


def _bounded(limit: int) -> Check:
    """Non-empty text of at most ``limit`` characters (a column's declared length)."""

    def check(name: str, value: Any) -> str:
        text = _text(name, value)
        if len(text) > limit:
            raise InvalidFields(f"{name} is at most {limit} characters, got {len(text)}")
        return text

    return check


# What the agent records at intake (S1.10, S3.2a), with the declared length of each field.
DESCRIBED: Mapping[str, int] = MappingProxyType(
    {"matter": 2000, "address": 256, "meter_number": 32, "transformer_area": 100, "promise": 500}
)


def _reason(name: str, value: Any) -> str:
    try:
        return escalation.check_reason(value)
    except ValueError as exc:
        raise InvalidFields(str(exc)) from None


def _level(name: str, value: Any) -> Role:
    try:
        return Role(value)
    except ValueError:
        raise InvalidFields(f"{name} must be one of {', '.join(escalation.LEVELS)}") from None


def _satisfaction(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        raise InvalidFields(f"{name} must be a whole number from 1 to 5, got {value!r}")
    return value


def _flag(name: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise InvalidFields(f"{name} must be true or false, got {value!r}")
    return value


def _order(name: str, value: Any) -> OrderState:
    if not isinstance(value, OrderState):
        raise InvalidFields(f"{name} must be the parent work order's state, got {value!r}")
    return value


def _instant(name: str, value: Any) -> datetime:
    """A zoned instant, given as a datetime or as ISO 8601 text with an offset."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidFields(f"{name} must be an ISO 8601 time, got {value!r}") from None
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise InvalidFields(f"{name} must be a time with a zone offset, got {value!r}")
    return value


def _classification(name: str, value: Any) -> Classification:
    if not isinstance(value, Classification):
        raise InvalidFields(f"{name} must be a checked classification, got {value!r}")
    return value


def _may(lowest: Role | None, *parties: Party) -> frozenset[Who]:
    """The roles from ``lowest`` up the ladder, plus the parties named."""
    ladder = roles_from(lowest) if lowest else ()
    return frozenset((*ladder, *parties))


@dataclass(frozen=True)
class Rule:
    """One action: from where, to where (None: stays), who, which fields, and why."""

    sources: frozenset[Status]
    target: Status | None
    may: frozenset[Who]
    fields: Mapping[str, Check]
    event: str
    verb: str
    basis: str
    note_needed_from: frozenset[Status] = frozenset()
    optional: Mapping[str, Check] = field(default_factory=dict)


S = Status
RULES: Mapping[Action, Rule] = MappingProxyType(
    {
        Action.ASSIGN: Rule(
            frozenset({S.NEW, S.ASSIGNED, S.DISPATCHED, S.IN_PROGRESS, S.REPLIED, S.REVISITED}),
            None,
            _may(Role.DUTY_LEADER, Party.SYSTEM), {"assignee": _text},
            "work_order.assigned", "assign",
            "S3.2: the duty leader arranges the agents' work and routes requests; the system "
            "applies staffing's routing decision. S1.6: an agent keeps what she took; S1.19: "
            "a leaver's open orders are handed over wherever they stand.",
        ),
        Action.DISPATCH: Rule(
            frozenset({S.ASSIGNED, S.DISPATCHED}), S.DISPATCHED,
            _may(Role.SEAT_AGENT), {"department": _text},
            "work_order.dispatched", "dispatch",
            "S3.2a: the agent hands the order to the department that must act.",
        ),
        Action.START: Rule(
            frozenset({S.DISPATCHED}), S.IN_PROGRESS,
            _may(None, Party.DEPARTMENT), {},
            "work_order.started", "start work on",
            "S3.2a: the department the order was handed to acts on it.",
        ),
        Action.RECORD_RESULT: Rule(
            frozenset({S.IN_PROGRESS}), None,
            _may(None, Party.DEPARTMENT), {"result": _text},
            "work_order.result_recorded", "record the result of",
            "S3.2a: the department's result is what the agent replies with.",
        ),
        Action.URGE: Rule(
            frozenset({S.DISPATCHED, S.IN_PROGRESS}), None,
            _may(Role.SEAT_AGENT, Party.SYSTEM), {},
            "work_order.urged", "urge",
            "S3.2a: the agent urges a slow department (催办); S1.22: the system's sweeps "
            "urge orders near their time limit.",
        ),
        Action.REPLY: Rule(
            frozenset({S.ASSIGNED, S.IN_PROGRESS}), S.REPLIED,
            _may(Role.SEAT_AGENT), {"reply": _text},
            "work_order.replied", "reply on",
            "S3.2a: the agent replies to the customer with the result; S1.10: or answers "
            "herself, without a department.",
        ),
        Action.REVISIT: Rule(
            frozenset({S.REPLIED}), S.REVISITED,
            _may(Role.SEAT_AGENT), {"satisfaction": _satisfaction, "solved": _flag},
            "work_order.revisited", "revisit",
            "S3.2a: the agent follows the order through the whole process.",
        ),
        Action.CLOSE: Rule(
            frozenset({S.REPLIED, S.REVISITED}), S.CLOSED,
            _may(Role.DUTY_LEADER, Party.SYSTEM), {},
            "work_order.closed", "close",
            "S1.22: a matter is never dropped by the one who owns it, so closing is checked "
            "above the agent (S3.2: the duty leader takes what the agent cannot; the deputy "
            "team lead answers for every request's whole process); the system closes in sweeps.",
            frozenset({S.REPLIED}),
        ),
        Action.REOPEN: Rule(
            frozenset({S.REVISITED, S.CLOSED}), REOPENS_TO,
            _may(Role.DUTY_LEADER), {},
            "work_order.reopened", "reopen",
            "Undoes a close, so the same roles as close, less the system; S1.6: matters an "
            "agent cannot settle go up to the leaders.",
            frozenset({S.REVISITED, S.CLOSED}),
        ),
        Action.MERGE: Rule(
            frozenset({S.NEW, S.ASSIGNED, S.DISPATCHED, S.IN_PROGRESS}), S.MERGED,
            _may(Role.DUTY_LEADER, Party.SYSTEM), {"parent": _order},
            "work_order.merged", "merge",
            "S3.2: the duty leader helps classify accepted requests, and two requests being "
            "one matter is a classification; the system merges by rule (e.g. one outage).",
        ),
        Action.CLASSIFY: Rule(
            frozenset({S.NEW, S.ASSIGNED, S.DISPATCHED, S.IN_PROGRESS}), None,
            _may(Role.SEAT_AGENT), {"classification": _classification},
            "work_order.classified", "classify",
            "S3.2a: the agent turns the request into a work order of a 95598 category; S3.2: "
            "the duty leader helps classify accepted requests.",
        ),
        Action.CONTACT: Rule(
            frozenset({S.ASSIGNED, S.DISPATCHED, S.IN_PROGRESS}), None,
            _may(Role.SEAT_AGENT), {},
            "work_order.contacted", "record contact with the customer on",
            "S3.2a: the agent follows the order and keeps the customer informed; S1.22: the "
            "complaint commitment to contact the customer within its time limit.",
        ),
        Action.PROMISE_CALLBACK: Rule(
            frozenset({S.ASSIGNED}), None,
            _may(Role.SEAT_AGENT), {"matter": _text},
            "work_order.callback_promised", "promise a callback on",
            "S1.10: an inquiry not answered on the spot: record the matter, the caller's name, "
            "work unit and contact, and tell the caller by when they will get an answer.",
            optional=MappingProxyType(
                {"caller_name": _text, "work_unit": _text, "contact": _text, "reply_by": _instant}
            ),
        ),
        Action.DESCRIBE: Rule(
            frozenset({S.NEW, S.ASSIGNED, S.DISPATCHED, S.IN_PROGRESS}), None,
            _may(Role.SEAT_AGENT), {},
            "work_order.described", "describe",
            "S1.10: record the matter (in the customer's words); S3.2a: the agent turns the "
            "request into a work order: the place (address; meter number or transformer area "
            "of a fault) and what she promised the customer (S1.22: everything in one go).",
            optional=MappingProxyType({name: _bounded(n) for name, n in DESCRIBED.items()}),
        ),
        Action.ESCALATE: Rule(
            frozenset({S.NEW, S.ASSIGNED, S.DISPATCHED, S.IN_PROGRESS, S.REPLIED, S.REVISITED}),
            None,
            frozenset({Role.SEAT_AGENT, Role.DUTY_LEADER, Party.SYSTEM}), {"reason": _reason},
            "work_order.escalated", "escalate",
            "S1.6, S1.10, S3.2: major matters go up the line at once; who to whom is "
            "services/calls/escalation.py (ESC-1..5). The owner keeps the order.",
            optional=MappingProxyType({"level": _level, "clock": _bounded(30)}),
        ),
    }
)
del S

_WHO = {
    Role.SEAT_AGENT: "a seat agent",
    Role.DUTY_LEADER: "a duty leader",
    Role.DEPUTY_TEAM_LEAD: "a deputy team lead",
    Party.DEPARTMENT: "the staff of the department it is dispatched to",
    Party.SYSTEM: "the system",
}


def apply(
    state: OrderState, action: str, actor: Actor, at: datetime, **fields: Any
) -> tuple[OrderState, HistoryEntry]:
    """Take ``action`` on the order; the new state (history included) and the new entry.

    Raises :class:`IllegalTransition`, :class:`NotAllowed` or :class:`InvalidFields`.
    """
    act = _action(action)
    rule = RULES[act]
    _check_state(state, act, rule)
    _check_actor(state, rule, actor)
    _check_time(at)
    note = _note(state, rule, fields.pop("note", ""))
    values = _check_fields(act, rule, fields)
    _check_parent(state, act, values)
    values = _check_escalation(state, act, actor, values)
    target = _target(state, act, rule, values)
    entry = HistoryEntry(
        state.id, act, rule.event, state.status, target, actor, at, note, _data(values)
    )
    changes = _EFFECTS[act](state, values)
    new = replace(state, status=target, history=(*state.history, entry), **changes)
    return new, entry


def allowed_actions(state: OrderState, actor: Actor) -> list[str]:
    """The actions ``actor`` may take on the order now (fields still to be checked)."""
    return [
        act.value
        for act, rule in RULES.items()
        if state.status in rule.sources
        and _refusal(state, rule, actor) is None
        and _guard(state, act) is None
        and (act is not Action.ESCALATE
             or escalation.next_level(actor.role.value, state.escalation_level) is not None)
    ]


def close_children(
    parent: OrderState, children: Iterable[OrderState], actor: Actor, at: datetime
) -> list[tuple[OrderState, HistoryEntry]]:
    """The transitions closing the orders merged into ``parent``, once ``parent`` is closed.

    Children already closed are skipped, so a cascade cut short can be run again.
    """
    rule = RULES[Action.CLOSE]
    if parent.status is not Status.CLOSED:
        raise IllegalTransition(
            f"work order {parent.id} is {_label(parent.status)}; the work orders merged into it "
            "close only when it is closed"
        )
    _check_actor(parent, rule, actor)
    _check_time(at)
    closing = []
    for child in children:
        if child.parent_id != parent.id or child.status not in (Status.MERGED, Status.CLOSED):
            raise IllegalTransition(f"work order {child.id} is not merged into {parent.id}")
        if child.status is Status.MERGED:
            closing.append(_close_child(child, parent, actor, at))
    return closing


def _close_child(
    child: OrderState, parent: OrderState, actor: Actor, at: datetime
) -> tuple[OrderState, HistoryEntry]:
    rule = RULES[Action.CLOSE]
    entry = HistoryEntry(
        child.id, Action.CLOSE, rule.event, Status.MERGED, Status.CLOSED, actor, at,
        f"closed with {parent.id}", {"parent_id": parent.id},
    )
    return replace(child, status=Status.CLOSED, history=(*child.history, entry)), entry


def _action(action: str) -> Action:
    try:
        return Action(action)
    except ValueError:
        known = ", ".join(a.value for a in Action)
        raise IllegalTransition(f"there is no action {action!r}; the actions are {known}") from None


def _check_state(state: OrderState, act: Action, rule: Rule) -> None:
    if state.status not in rule.sources:
        raise IllegalTransition(
            f"cannot {rule.verb} work order {state.id}: it is {_label(state.status)}, and "
            f"{act.value} applies only to a work order that is {_either(rule.sources)}"
        )
    reason = _guard(state, act)
    if reason:
        raise IllegalTransition(reason)


def _guard(state: OrderState, act: Action) -> str | None:
    """Conditions beyond the state itself; a reason when one is not met."""
    if act is Action.REPLY and state.status is Status.IN_PROGRESS and not state.result:
        return (
            f"cannot reply on work order {state.id} yet: {state.department} has not recorded "
            "its result, and the reply carries it"
        )
    if act is Action.REOPEN and state.parent_id:
        return f"work order {state.id} was merged into {state.parent_id}; reopen that one instead"
    return None


def _check_actor(state: OrderState, rule: Rule, actor: Actor) -> None:
    reason = _refusal(state, rule, actor)
    if reason:
        raise NotAllowed(reason)


def _refusal(state: OrderState, rule: Rule, actor: Actor) -> str | None:
    if actor.role not in rule.may:
        return f"{_actor_label(actor)} cannot {rule.verb} a work order; {_can(rule.may)} can"
    if actor.role is Role.SEAT_AGENT and state.assignee and actor.id != state.assignee:
        return (
            f"work order {state.id} belongs to seat agent {state.assignee}; a seat agent acts "
            "on her own work orders (S1.6), a duty leader on any"
        )
    if actor.role is Party.DEPARTMENT and actor.department != state.department:
        return (
            f"staff of {actor.department} cannot {rule.verb} work order {state.id}: it is "
            f"dispatched to {state.department or 'no department'}"
        )
    return None


def _check_time(at: datetime) -> None:
    if not isinstance(at, datetime) or at.utcoffset() is None:
        raise InvalidFields(f"the time of a transition must be a datetime with a zone, got {at!r}")


def _note(state: OrderState, rule: Rule, note: Any) -> str:
    if not isinstance(note, str):
        raise InvalidFields(f"a note must be text, got {note!r}")
    if state.status in rule.note_needed_from and not note.strip():
        raise InvalidFields(
            f"to {rule.verb} work order {state.id} while it is {_label(state.status)}, "
            "give a note saying why"
        )
    return note.strip()


def _check_fields(act: Action, rule: Rule, fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fields) - set(rule.fields) - set(rule.optional))
    if unknown:
        takes = ", ".join([*rule.fields, *rule.optional, "note"])
        raise InvalidFields(f"{act.value} takes {takes}; not {', '.join(unknown)}")
    missing = [name for name in rule.fields if name not in fields]
    if missing:
        raise InvalidFields(f"{act.value} needs {', '.join(missing)}")
    checks = {**rule.fields, **{k: v for k, v in rule.optional.items() if k in fields}}
    if act is Action.DESCRIBE and not checks:
        raise InvalidFields(f"describe takes at least one of {', '.join(DESCRIBED)}")
    return {name: check(name, fields[name]) for name, check in checks.items()}


def _check_escalation(
    state: OrderState, act: Action, actor: Actor, values: dict[str, Any]
) -> dict[str, Any]:
    """ESC-1..4 (services/calls/escalation.py): the level, given or the actor's next."""
    if act is not Action.ESCALATE:
        return values
    if "clock" in values and actor.role is not Party.SYSTEM:
        raise InvalidFields("escalate takes reason and level; clock is the deadline sweep's")
    try:
        level = escalation.level_for(actor.role.value, values.get("level"))
    except ValueError as exc:
        raise InvalidFields(str(exc)) from None
    reason = escalation.refusal(level, state.escalation_level)
    if reason:
        raise IllegalTransition(f"cannot escalate work order {state.id}: {reason}")
    return {**values, "level": level}


def _check_parent(state: OrderState, act: Action, values: Mapping[str, Any]) -> None:
    if act is not Action.MERGE:
        return
    parent: OrderState = values["parent"]
    if parent.id == state.id:
        raise IllegalTransition(f"work order {state.id} cannot be merged into itself")
    if parent.status is Status.MERGED:
        raise IllegalTransition(
            f"cannot merge work order {state.id} into {parent.id}: {parent.id} is itself merged "
            f"into {parent.parent_id}; merge into {parent.parent_id} instead"
        )
    if parent.status is Status.CLOSED:
        raise IllegalTransition(
            f"cannot merge work order {state.id} into {parent.id}: {parent.id} is closed; "
            "reopen it first or keep this order separate"
        )


def _target(state: OrderState, act: Action, rule: Rule, values: Mapping[str, Any]) -> Status:
    if act is Action.ASSIGN and state.status is Status.NEW:
        return Status.ASSIGNED
    if act is Action.REVISIT and not values["solved"]:
        return REOPENS_TO
    return rule.target or state.status


def _data(values: Mapping[str, Any]) -> dict[str, Any]:
    """The fields as the history keeps them: a parent by its id, a classification spelled out."""
    data: dict[str, Any] = {}
    for name, value in values.items():
        if isinstance(value, OrderState):
            data["parent_id"] = value.id
        elif isinstance(value, Classification):
            data.update(
                category=value.category,
                sub_type=value.sub_type,
                area=value.area.value if value.area else None,
            )
        elif isinstance(value, datetime):
            data[name] = value.isoformat()
        else:
            data[name] = value
    return data


def _reopening(state: OrderState) -> dict[str, Any]:
    """A reopened order starts a new round: no result, reply or revisit yet."""
    return {
        "result": None,
        "reply": None,
        "satisfaction": None,
        "solved": None,
        "reopened": state.reopened + 1,
    }


def _revisited(state: OrderState, values: Mapping[str, Any]) -> dict[str, Any]:
    reopen = {} if values["solved"] else _reopening(state)
    return {**reopen, "satisfaction": values["satisfaction"], "solved": values["solved"]}


Effect = Callable[[OrderState, Mapping[str, Any]], dict[str, Any]]
_EFFECTS: Mapping[Action, Effect] = MappingProxyType(
    {
        Action.ASSIGN: lambda s, v: {"assignee": v["assignee"]},
        Action.DISPATCH: lambda s, v: {"department": v["department"], "result": None},
        Action.START: lambda s, v: {},
        Action.RECORD_RESULT: lambda s, v: {"result": v["result"]},
        Action.URGE: lambda s, v: {"urged": s.urged + 1},
        Action.REPLY: lambda s, v: {"reply": v["reply"]},
        Action.REVISIT: _revisited,
        Action.CLOSE: lambda s, v: {},
        Action.REOPEN: lambda s, v: _reopening(s),
        Action.MERGE: lambda s, v: {"parent_id": v["parent"].id},
        Action.CLASSIFY: lambda s, v: {},
        Action.CONTACT: lambda s, v: {},
        Action.PROMISE_CALLBACK: lambda s, v: {},
        Action.DESCRIBE: lambda s, v: dict(v),
        Action.ESCALATE: lambda s, v: {"escalation_level": v["level"]},
    }
)


def _as_who(value: Any) -> Who:
    for kind in (Role, Party):
        try:
            return kind(value)
        except ValueError:
            continue
    raise ValueError(f"unknown role {value!r}")


def _label(status: Status) -> str:
    return status.value.replace("_", " ")


def _either(statuses: Iterable[Status]) -> str:
    ordered = [_label(s) for s in Status if s in set(statuses)]
    return _or(ordered)


def _or(words: list[str]) -> str:
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def _can(may: frozenset[Who]) -> str:
    return _or([label for who, label in _WHO.items() if who in may])


def _actor_label(actor: Actor) -> str:
    if actor.role is Party.DEPARTMENT:
        return f"staff of {actor.department}"
    return _WHO[actor.role]
