"""A work order's lifecycle (issue #3): transitions, roles, fields, revisit, merge, history.

The expected table and roles are written out here rather than read from the module, so a change
to the rules shows up as a failing test.
"""

from dataclasses import FrozenInstanceError
from datetime import UTC, datetime, timedelta
from itertools import product

import pytest

from contracts.events import Category, Role
from services.calls.lifecycle import (
    Action,
    Actor,
    IllegalTransition,
    InvalidFields,
    NotAllowed,
    OrderState,
    Party,
    Status,
    allowed_actions,
    apply,
    close_children,
)
from services.calls.taxonomy import refine

AT = datetime(2024, 5, 6, 9, 30, tzinfo=UTC)
DEPT = "运检部"

AGENT = Actor("agent01", Role.SEAT_AGENT, "坐席员01")
LEADER = Actor("leader01", Role.DUTY_LEADER, "值长01")
DEPUTY = Actor("lead01", Role.DEPUTY_TEAM_LEAD, "副班长01")
SYSTEM = Actor("sweeper", Party.SYSTEM)
STAFF = Actor("ops01", Party.DEPARTMENT, "检修员", department=DEPT)
OTHER_STAFF = Actor("mkt01", Party.DEPARTMENT, "营销员", department="营销部")
ACTORS = {"agent": AGENT, "leader": LEADER, "deputy": DEPUTY, "system": SYSTEM, "staff": STAFF}

STATES = [
    "new", "assigned", "dispatched", "in_progress", "replied", "revisited", "closed", "merged",
]
ACTIONS = [
    "assign", "dispatch", "start", "record_result", "urge",
    "reply", "revisit", "close", "reopen", "merge", "classify", "contact", "promise_callback",
    "describe", "escalate",
]
LEGAL = {
    ("new", "assign"): "assigned",
    ("assigned", "assign"): "assigned",
    ("dispatched", "assign"): "dispatched",
    ("in_progress", "assign"): "in_progress",
    ("replied", "assign"): "replied",
    ("revisited", "assign"): "revisited",
    ("assigned", "dispatch"): "dispatched",
    ("dispatched", "dispatch"): "dispatched",
    ("dispatched", "start"): "in_progress",
    ("in_progress", "record_result"): "in_progress",
    ("dispatched", "urge"): "dispatched",
    ("in_progress", "urge"): "in_progress",
    ("assigned", "reply"): "replied",
    ("in_progress", "reply"): "replied",
    ("replied", "revisit"): "revisited",
    ("replied", "close"): "closed",
    ("revisited", "close"): "closed",
    ("revisited", "reopen"): "assigned",
    ("closed", "reopen"): "assigned",
    ("new", "merge"): "merged",
    ("assigned", "merge"): "merged",
    ("dispatched", "merge"): "merged",
    ("in_progress", "merge"): "merged",
    ("new", "classify"): "new",
    ("assigned", "classify"): "assigned",
    ("dispatched", "classify"): "dispatched",
    ("in_progress", "classify"): "in_progress",
    ("assigned", "contact"): "assigned",
    ("dispatched", "contact"): "dispatched",
    ("in_progress", "contact"): "in_progress",
    ("assigned", "promise_callback"): "assigned",
    **{(state, "describe"): state for state in ("new", "assigned", "dispatched", "in_progress")},
    **{(state, "escalate"): state for state in STATES[:6]},
}
WHO = {
    "assign": {"leader", "deputy", "system"},
    "dispatch": {"agent", "leader", "deputy"},
    "start": {"staff"},
    "record_result": {"staff"},
    "urge": {"agent", "leader", "deputy", "system"},
    "reply": {"agent", "leader", "deputy"},
    "revisit": {"agent", "leader", "deputy"},
    "close": {"leader", "deputy", "system"},
    "reopen": {"leader", "deputy"},
    "merge": {"leader", "deputy", "system"},
    "classify": {"agent", "leader", "deputy"},
    "contact": {"agent", "leader", "deputy"},
    "promise_callback": {"agent", "leader", "deputy"},
    "describe": {"agent", "leader", "deputy"},
    "escalate": {"agent", "leader", "system"},  # the deputy team lead is the top (ESC-1..3)
}
PARENT = OrderState("WO-P", Status.ASSIGNED, assignee="agent02")
FIELDS = {
    "assign": {"assignee": "agent02"},
    "dispatch": {"department": DEPT},
    "start": {},
    "record_result": {"result": "更换熔断器,已复电"},
    "urge": {},
    "reply": {"reply": "故障已修复"},
    "revisit": {"satisfaction": 5, "solved": True},
    "close": {"note": "客户三次未接听"},
    "reopen": {"note": "客户再次来电"},
    "merge": {"parent": PARENT},
    "classify": {"classification": refine(Category.FAULT_REPORT, "fault_report", None, "rural")},
    "contact": {},
    "promise_callback": {"matter": "峰谷电价何时执行"},
    "describe": {"matter": "家里突然停电,邻居家有电"},
    "escalate": {"reason": "客户称要向媒体反映"},
}
EVENTS = {
    "assign": "work_order.assigned",
    "dispatch": "work_order.dispatched",
    "start": "work_order.started",
    "record_result": "work_order.result_recorded",
    "urge": "work_order.urged",
    "reply": "work_order.replied",
    "revisit": "work_order.revisited",
    "close": "work_order.closed",
    "reopen": "work_order.reopened",
    "merge": "work_order.merged",
    "classify": "work_order.classified",
    "contact": "work_order.contacted",
    "promise_callback": "work_order.callback_promised",
    "describe": "work_order.described",
    "escalate": "work_order.escalated",
}


def order(status: str, **extra) -> OrderState:
    """A work order in ``status``, with what an order normally has by then."""
    has = STATES.index(status)
    values = {
        "assignee": "agent01" if status != "new" else None,
        "department": DEPT if 2 <= has <= 6 else None,
        "result": "更换熔断器,已复电" if 3 <= has <= 6 else None,
        "reply": "故障已修复" if 4 <= has <= 6 else None,
        "parent_id": "WO-P" if status == "merged" else None,
    }
    return OrderState("WO-1", Status(status), **{**values, **extra})


def first_source(action: str) -> str:
    return next(state for state, act in LEGAL if act == action)


def actor_for(action: str) -> Actor:
    return ACTORS[sorted(WHO[action])[0]]


def test_states_and_actions_are_the_documented_ones():
    assert [s.value for s in Status] == STATES
    assert [a.value for a in Action] == ACTIONS


@pytest.mark.parametrize(("state", "action"), list(product(STATES, ACTIONS)))
def test_the_full_state_action_matrix(state, action):
    before = order(state)
    if (state, action) in LEGAL:
        after, entry = apply(before, action, actor_for(action), AT, **FIELDS[action])
        assert after.status == LEGAL[state, action]
        assert (entry.from_status, entry.to_status) == (state, LEGAL[state, action])
        assert entry.event == EVENTS[action]
    else:
        with pytest.raises(IllegalTransition, match=f"it is {state.replace('_', ' ')}"):
            apply(before, action, actor_for(action), AT, **FIELDS[action])


@pytest.mark.parametrize(("action", "who"), list(product(ACTIONS, ACTORS)))
def test_who_may_take_each_action(action, who):
    before = order(first_source(action))
    if who in WHO[action]:
        after, entry = apply(before, action, ACTORS[who], AT, **FIELDS[action])
        assert entry.actor == ACTORS[who]
    else:
        with pytest.raises(NotAllowed, match="cannot"):
            apply(before, action, ACTORS[who], AT, **FIELDS[action])


@pytest.mark.parametrize(("state", "who"), list(product(STATES, ACTORS)))
def test_allowed_actions_follow_the_table_and_the_roles(state, who):
    expected = [a for a in ACTIONS if (state, a) in LEGAL and who in WHO[a]]
    assert allowed_actions(order(state), ACTORS[who]) == expected


def test_a_seat_agent_is_told_who_can_close():
    with pytest.raises(NotAllowed) as refused:
        apply(order("revisited"), "close", AGENT, AT)
    assert str(refused.value) == (
        "a seat agent cannot close a work order; "
        "a duty leader, a deputy team lead or the system can"
    )


def test_an_illegal_transition_says_where_the_action_applies():
    with pytest.raises(IllegalTransition) as refused:
        apply(order("new"), "close", LEADER, AT)
    assert str(refused.value) == (
        "cannot close work order WO-1: it is new, and close applies only to a work order that is "
        "replied or revisited"
    )


@pytest.mark.parametrize("action", ["start", "record_result"])
def test_department_staff_act_only_on_their_own_department_s_orders(action):
    before = order(first_source(action))
    with pytest.raises(NotAllowed, match=f"staff of 营销部 .* dispatched to {DEPT}"):
        apply(before, action, OTHER_STAFF, AT, **FIELDS[action])
    assert allowed_actions(before, OTHER_STAFF) == []


def test_department_staff_cannot_act_on_hotline_work():
    with pytest.raises(NotAllowed, match=f"staff of {DEPT} cannot reply on a work order"):
        apply(order("in_progress"), "reply", STAFF, AT, reply="已修复")


def test_an_unknown_action_is_refused():
    with pytest.raises(IllegalTransition, match="there is no action 'archive'"):
        apply(order("closed"), "archive", LEADER, AT)


def test_roles_may_be_given_as_stored_strings():
    assert Actor("x", "duty_leader").role is Role.DUTY_LEADER
    assert Actor("y", "system").role is Party.SYSTEM


def test_department_staff_need_a_department():
    with pytest.raises(ValueError, match="needs a department"):
        Actor("z", Party.DEPARTMENT)


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="unknown role"):
        Actor("z", "director")


# --- fields -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("action", "missing"),
    [
        ("assign", "assignee"),
        ("dispatch", "department"),
        ("record_result", "result"),
        ("reply", "reply"),
        ("revisit", "satisfaction"),
        ("revisit", "solved"),
        ("merge", "parent"),
    ],
)
def test_required_fields(action, missing):
    fields = {k: v for k, v in FIELDS[action].items() if k != missing}
    with pytest.raises(InvalidFields, match=f"{action} needs .*{missing}"):
        apply(order(first_source(action)), action, actor_for(action), AT, **fields)


@pytest.mark.parametrize(
    ("action", "field"),
    [("assign", "assignee"), ("dispatch", "department"), ("record_result", "result"),
     ("reply", "reply")],
)
@pytest.mark.parametrize("value", ["", "   ", None, 42])
def test_text_fields_must_be_text(action, field, value):
    with pytest.raises(InvalidFields, match=f"{field} must be non-empty text"):
        apply(order(first_source(action)), action, actor_for(action), AT, **{field: value})


def test_text_fields_are_stored_trimmed():
    after, entry = apply(order("assigned"), "dispatch", AGENT, AT, department=f"  {DEPT} ")
    assert after.department == DEPT
    assert entry.data == {"department": DEPT}


def test_an_unknown_field_is_refused():
    with pytest.raises(InvalidFields, match="dispatch takes department, note; not assignee"):
        apply(order("assigned"), "dispatch", AGENT, AT, department=DEPT, assignee="agent02")


@pytest.mark.parametrize("satisfaction", [0, 6, -1, 3.5, "5", True, None])
def test_satisfaction_is_a_whole_number_from_1_to_5(satisfaction):
    with pytest.raises(InvalidFields, match="satisfaction must be a whole number from 1 to 5"):
        apply(order("replied"), "revisit", AGENT, AT, satisfaction=satisfaction, solved=True)


@pytest.mark.parametrize("satisfaction", [1, 2, 3, 4, 5])
def test_every_satisfaction_level_is_recorded(satisfaction):
    after, entry = apply(order("replied"), "revisit", AGENT, AT, satisfaction=satisfaction,
                         solved=True)
    assert after.satisfaction == satisfaction
    assert entry.data == {"satisfaction": satisfaction, "solved": True}


@pytest.mark.parametrize("solved", [1, 0, "yes", None])
def test_solved_is_true_or_false(solved):
    with pytest.raises(InvalidFields, match="solved must be true or false"):
        apply(order("replied"), "revisit", AGENT, AT, satisfaction=3, solved=solved)


def test_closing_without_a_revisit_needs_a_note():
    with pytest.raises(InvalidFields, match="while it is replied, give a note saying why"):
        apply(order("replied"), "close", LEADER, AT)


def test_closing_after_a_revisit_needs_no_note():
    after, entry = apply(order("revisited"), "close", SYSTEM, AT)
    assert (after.status, entry.note) == (Status.CLOSED, "")


@pytest.mark.parametrize("state", ["revisited", "closed"])
@pytest.mark.parametrize("note", ["", "  "])
def test_reopening_needs_a_note(state, note):
    with pytest.raises(InvalidFields, match="give a note saying why"):
        apply(order(state), "reopen", LEADER, AT, note=note)


def test_a_note_must_be_text():
    with pytest.raises(InvalidFields, match="a note must be text"):
        apply(order("dispatched"), "urge", AGENT, AT, note=3)


@pytest.mark.parametrize("at", [datetime(2024, 5, 6, 9, 30), "2024-05-06T09:30Z", None])
def test_the_time_must_be_a_zoned_datetime(at):
    with pytest.raises(InvalidFields, match="datetime with a zone"):
        apply(order("new"), "assign", SYSTEM, at, assignee="agent01")


# --- effects of particular actions ----------------------------------------------------------


def test_reply_from_in_progress_waits_for_the_department_s_result():
    waiting = order("in_progress", result=None)
    with pytest.raises(IllegalTransition, match=f"{DEPT} has not recorded its result"):
        apply(waiting, "reply", AGENT, AT, reply="正在处理")
    assert "reply" not in allowed_actions(waiting, AGENT)
    recorded, _ = apply(waiting, "record_result", STAFF, AT, result="已复电")
    replied, _ = apply(recorded, "reply", AGENT, AT, reply="已复电,请确认")
    assert (replied.result, replied.reply) == ("已复电", "已复电,请确认")


def test_an_agent_may_reply_without_a_department():
    after, _ = apply(order("assigned"), "reply", AGENT, AT, reply="电价为0.588元/千瓦时")
    assert (after.status, after.department) == (Status.REPLIED, None)


def test_assign_records_the_assignee_and_reassigns():
    first, _ = apply(order("new"), "assign", SYSTEM, AT, assignee="agent01")
    second, entry = apply(first, "assign", LEADER, AT, assignee="agent07", note="agent01 busy")
    assert (first.assignee, second.assignee) == ("agent01", "agent07")
    assert (entry.from_status, entry.to_status) == (Status.ASSIGNED, Status.ASSIGNED)


def test_redispatch_changes_the_department():
    after, _ = apply(order("dispatched"), "dispatch", AGENT, AT, department="营销部")
    assert after.department == "营销部"
    assert allowed_actions(after, STAFF) == []
    assert allowed_actions(after, OTHER_STAFF) == ["start"]


def test_urging_counts_and_keeps_the_state():
    once, _ = apply(order("in_progress"), "urge", AGENT, AT)
    twice, entry = apply(once, "urge", SYSTEM, AT, note="距时限2小时")
    assert (twice.status, twice.urged) == (Status.IN_PROGRESS, 2)
    assert (entry.actor, entry.note) == (SYSTEM, "距时限2小时")


def test_a_solved_revisit_leads_to_revisited():
    after, entry = apply(order("replied"), "revisit", AGENT, AT, satisfaction=4, solved=True)
    assert (after.status, after.satisfaction, after.solved, after.reopened) == (
        Status.REVISITED, 4, True, 0,
    )
    assert after.reply == "故障已修复"


def test_an_unsolved_revisit_reopens_the_order_to_its_agent():
    after, entry = apply(order("replied"), "revisit", AGENT, AT, satisfaction=1, solved=False,
                         note="客户称仍未复电")
    assert after.status is Status.ASSIGNED
    assert (after.satisfaction, after.solved, after.reopened) == (1, False, 1)
    assert (after.result, after.reply) == (None, None)
    assert (after.assignee, after.department) == ("agent01", DEPT)
    assert (entry.action, entry.event) == (Action.REVISIT, "work_order.revisited")
    assert (entry.from_status, entry.to_status) == (Status.REPLIED, Status.ASSIGNED)
    assert entry.data == {"satisfaction": 1, "solved": False}


def test_a_reopened_order_goes_round_again():
    reopened, _ = apply(order("replied"), "revisit", AGENT, AT, satisfaction=2, solved=False)
    state = reopened
    for action in ["dispatch", "start", "record_result", "reply"]:
        state, _ = apply(state, action, actor_for(action), AT, **FIELDS[action])
    state, _ = apply(state, "revisit", AGENT, AT, satisfaction=5, solved=True)
    assert (state.status, state.reopened, state.satisfaction) == (Status.REVISITED, 1, 5)


def test_reopen_starts_a_new_round():
    after, entry = apply(order("closed", satisfaction=4, solved=True), "reopen", DEPUTY, AT,
                         note="客户再次来电")
    assert after.status is Status.ASSIGNED
    assert (after.result, after.reply, after.satisfaction, after.solved) == (None,) * 4
    assert (after.reopened, entry.note) == (1, "客户再次来电")


# --- merge ------------------------------------------------------------------------------


def test_merge_records_the_parent():
    after, entry = apply(order("dispatched"), "merge", LEADER, AT, parent=PARENT,
                         note="同一停电")
    assert (after.status, after.parent_id) == (Status.MERGED, "WO-P")
    assert entry.data == {"parent_id": "WO-P"}


def test_an_order_cannot_be_merged_into_itself():
    with pytest.raises(IllegalTransition, match="cannot be merged into itself"):
        apply(order("new"), "merge", LEADER, AT, parent=order("assigned"))


def test_an_order_cannot_be_merged_into_a_merged_one():
    merged_parent = OrderState("WO-P", Status.MERGED, parent_id="WO-Q")
    with pytest.raises(IllegalTransition, match="itself merged into WO-Q; merge into WO-Q"):
        apply(order("new"), "merge", LEADER, AT, parent=merged_parent)


def test_an_order_cannot_be_merged_into_a_closed_one():
    with pytest.raises(IllegalTransition, match="WO-P is closed"):
        apply(order("new"), "merge", LEADER, AT, parent=OrderState("WO-P", Status.CLOSED))


@pytest.mark.parametrize("parent", ["WO-P", None, {"id": "WO-P"}])
def test_the_parent_is_given_as_its_state(parent):
    with pytest.raises(InvalidFields, match="parent must be the parent work order's state"):
        apply(order("new"), "merge", LEADER, AT, parent=parent)


@pytest.mark.parametrize("who", list(ACTORS))
def test_a_merged_order_takes_no_further_action(who):
    assert allowed_actions(order("merged"), ACTORS[who]) == []


def closed_parent() -> OrderState:
    return OrderState("WO-P", Status.CLOSED)


def merged_child(order_id: str) -> OrderState:
    return OrderState(order_id, Status.MERGED, parent_id="WO-P")


def test_closing_a_parent_closes_its_children():
    children = [merged_child("WO-2"), merged_child("WO-3")]
    done = close_children(closed_parent(), children, LEADER, AT)
    assert [(state.id, state.status) for state, _ in done] == [
        ("WO-2", Status.CLOSED), ("WO-3", Status.CLOSED),
    ]
    for state, entry in done:
        assert entry.order_id == state.id
        assert (entry.action, entry.event) == (Action.CLOSE, "work_order.closed")
        assert (entry.from_status, entry.to_status) == (Status.MERGED, Status.CLOSED)
        assert (entry.actor, entry.at, entry.note) == (LEADER, AT, "closed with WO-P")
        assert entry.data == {"parent_id": "WO-P"}
        assert state.history == (entry,)
    assert children[0].status is Status.MERGED


def test_children_already_closed_are_skipped():
    done_before = OrderState("WO-2", Status.CLOSED, parent_id="WO-P")
    done = close_children(closed_parent(), [done_before, merged_child("WO-3")], SYSTEM, AT)
    assert [state.id for state, _ in done] == ["WO-3"]


def test_children_close_only_with_a_closed_parent():
    with pytest.raises(IllegalTransition, match="close only when it is closed"):
        close_children(OrderState("WO-P", Status.REVISITED), [merged_child("WO-2")], LEADER, AT)


@pytest.mark.parametrize(
    "child",
    [OrderState("WO-2", Status.MERGED, parent_id="WO-X"), OrderState("WO-2", Status.ASSIGNED)],
)
def test_only_the_parent_s_own_children_are_closed(child):
    with pytest.raises(IllegalTransition, match="WO-2 is not merged into WO-P"):
        close_children(closed_parent(), [child], LEADER, AT)


@pytest.mark.parametrize("who", ["agent", "staff"])
def test_children_are_closed_by_someone_who_may_close(who):
    with pytest.raises(NotAllowed, match="cannot close a work order"):
        close_children(closed_parent(), [merged_child("WO-2")], ACTORS[who], AT)


def test_children_close_at_a_zoned_time():
    with pytest.raises(InvalidFields, match="datetime with a zone"):
        close_children(closed_parent(), [merged_child("WO-2")], LEADER, datetime(2024, 5, 6))


def test_a_child_closed_with_its_parent_is_reopened_through_the_parent():
    child = OrderState("WO-2", Status.CLOSED, parent_id="WO-P")
    with pytest.raises(IllegalTransition, match="merged into WO-P; reopen that one instead"):
        apply(child, "reopen", LEADER, AT, note="客户再次来电")
    assert allowed_actions(child, LEADER) == []


# --- history and immutability ------------------------------------------------------------


def test_the_whole_way_is_kept_in_the_history():
    steps = [
        ("assign", SYSTEM, {"assignee": "agent01"}),
        ("dispatch", AGENT, {"department": DEPT, "note": "10kV线路故障"}),
        ("urge", SYSTEM, {}),
        ("start", STAFF, {}),
        ("record_result", STAFF, {"result": "更换熔断器,已复电"}),
        ("reply", AGENT, {"reply": "已复电"}),
        ("revisit", AGENT, {"satisfaction": 5, "solved": True}),
        ("close", LEADER, {}),
    ]
    state = OrderState("WO-9")
    for minute, (action, actor, fields) in enumerate(steps):
        state, entry = apply(state, action, actor, AT + timedelta(minutes=minute), **fields)
        assert state.history[-1] == entry
    assert [e.action for e in state.history] == [a for a, _, _ in steps]
    assert [e.actor for e in state.history] == [actor for _, actor, _ in steps]
    assert [e.at for e in state.history] == [AT + timedelta(minutes=m) for m in range(8)]
    assert [e.to_status for e in state.history] == [
        "assigned", "dispatched", "dispatched", "in_progress", "in_progress", "replied",
        "revisited", "closed",
    ]
    assert {e.order_id for e in state.history} == {"WO-9"}
    assert state.history[1].note == "10kV线路故障"
    assert state.history[1].data == {"department": DEPT}
    assert state.history[0].note == ""


def test_apply_leaves_the_old_state_alone():
    before = order("assigned")
    after, _ = apply(before, "dispatch", AGENT, AT, department="营销部")
    assert (before.status, before.department, before.history) == (Status.ASSIGNED, None, ())
    assert after is not before


def test_states_and_entries_are_immutable():
    after, entry = apply(order("new"), "assign", SYSTEM, AT, assignee="agent01")
    with pytest.raises(FrozenInstanceError):
        after.status = Status.CLOSED
    with pytest.raises(FrozenInstanceError):
        entry.note = "changed"


def test_a_stored_status_string_is_accepted():
    assert OrderState("WO-1", "in_progress").status is Status.IN_PROGRESS


def test_a_seat_agent_acts_only_on_her_own_work_orders():
    mine = order("assigned")
    theirs = order("assigned", assignee="agent02")
    assert apply(mine, "dispatch", AGENT, AT, department=DEPT)[0].status is Status.DISPATCHED
    with pytest.raises(NotAllowed, match="belongs to seat agent agent02"):
        apply(theirs, "dispatch", AGENT, AT, department=DEPT)
    assert apply(theirs, "dispatch", LEADER, AT, department=DEPT)[0].department == DEPT


def test_a_classification_is_kept_spelled_out_in_the_history():
    classification = refine(Category.SERVICE_APPLICATION, "service_application", "meter_fault")
    _, entry = apply(order("assigned"), "classify", AGENT, AT, classification=classification)
    assert entry.event == "work_order.classified"
    assert entry.data == {
        "category": "service_application", "sub_type": "meter_fault", "area": None,
    }
    with pytest.raises(InvalidFields, match="checked classification"):
        apply(order("assigned"), "classify", AGENT, AT, classification="fault_report")


# --- contact and callbacks (issue 3: deadline clocks) ---------------------------------------


def test_contact_records_the_customer_was_reached_and_keeps_the_state():
    after, entry = apply(order("in_progress"), "contact", AGENT, AT, note="已电话联系客户")
    assert after.status is Status.IN_PROGRESS and entry.event == "work_order.contacted"
    assert (entry.note, entry.data) == ("已电话联系客户", {})


def test_a_callback_promise_records_the_matter_and_optional_caller_details():
    reply_by = datetime(2026, 2, 14, 10, 0, tzinfo=UTC)
    after, entry = apply(
        order("assigned"), "promise_callback", AGENT, AT,
        matter=" 峰谷电价 ", caller_name="李四", contact="0571-1234", reply_by=reply_by.isoformat(),
    )
    assert after.status is Status.ASSIGNED
    assert entry.data == {
        "matter": "峰谷电价", "caller_name": "李四", "contact": "0571-1234",
        "reply_by": reply_by.isoformat(),
    }


@pytest.mark.parametrize("reply_by", ["tomorrow", "2026-02-14T10:00:00", 42])
def test_a_promised_reply_time_must_be_a_zoned_iso_time(reply_by):
    with pytest.raises(InvalidFields, match="reply_by must be"):
        apply(order("assigned"), "promise_callback", AGENT, AT, matter="x", reply_by=reply_by)


def test_a_callback_promise_needs_the_matter_and_names_what_it_takes():
    with pytest.raises(InvalidFields, match="promise_callback needs matter"):
        apply(order("assigned"), "promise_callback", AGENT, AT, contact="0571-1234")
    with pytest.raises(InvalidFields, match="takes matter, caller_name, work_unit, contact, "
                       "reply_by, note; not phone"):
        apply(order("assigned"), "promise_callback", AGENT, AT, matter="x", phone="1")
