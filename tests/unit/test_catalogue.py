"""The event catalogue in code and contracts/asyncapi.yaml say the same thing, and both reject
what they should."""

from __future__ import annotations

import copy
import importlib.util
import json
import sys
import warnings
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_origin

import pytest
from pydantic import ValidationError
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from contracts.catalogue_check import (
    DOCUMENT,
    ContractViolation,
    load_document,
    message_id,
    schema_validator,
    validate_published,
)
from contracts.events import (
    CATALOGUE,
    Actor,
    CallEnded,
    Caller,
    Category,
    ClockStarted,
    ClockStopped,
    DeadlineReplanned,
    DeadlineWarning,
    InvalidEvent,
    OutageDeclared,
    OutageLifted,
    Payload,
    Role,
    StormDetected,
    WorkOrderCreated,
    WorkOrderEscalated,
    WorkOrderRouted,
    WorkOrderStatus,
    WorkOrderTransitioned,
    make_event,
    parse_event,
)
from tests.unit.assets_samples import ASSETS_BAD_ENUM, ASSETS_SAMPLES
from tests.unit.console_samples import CONSOLE_BAD_ENUM, CONSOLE_SAMPLES
from tests.unit.cti_samples import CTI_BAD_ENUM, CTI_SAMPLES
from tests.unit.org_samples import ORG_BAD_ENUM, ORG_SAMPLES
from tests.unit.visit_samples import VISIT_BAD_ENUM, VISIT_SAMPLES

ROOT = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("asyncapi_script", ROOT / "scripts" / "asyncapi.py")
assert _spec is not None and _spec.loader is not None
script = sys.modules[_spec.name] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(script)

AT = datetime(2025, 3, 1, 8, 30, tzinfo=UTC)
SAMPLES: dict[type[Payload], Payload] = {
    WorkOrderCreated: WorkOrderCreated(
        work_order_id="WO-20250301-0001",
        call_uniqueid="1740817800.17",
        category=Category.FAULT_REPORT,
        caller=Caller(number="13800138000", name="张三", work_unit="城东供电所"),
        created_at=AT,
    ),
    CallEnded: CallEnded(
        call_uniqueid="1740817800.17",
        outcome="work_order_created",
        category=Category.FAULT_REPORT,
        work_order_id="WO-20250301-0001",
        digits="2",
        started_at=AT,
        ended_at=AT,
    ),
    WorkOrderRouted: WorkOrderRouted(
        work_order_id="WO-20250301-0001",
        assignee_id=7,
        assignee_name="李四",
        role=Role.SEAT_AGENT,
        extension="8007",
        dial_string="PJSIP/8007",
        reason="least loaded seat agent on shift",
        decided_at=AT,
    ),
    WorkOrderTransitioned: WorkOrderTransitioned(
        work_order_id="WO-20250301-0001",
        action="dispatch",
        from_status=WorkOrderStatus.ASSIGNED,
        to_status=WorkOrderStatus.DISPATCHED,
        actor=Actor(id="7", role="seat_agent", name="李四"),
        note="线路故障",
        data={"department": "repair"},
        assignee_id=7,
        category="fault_report",
        created_at=AT,
        at=AT,
    ),
    ClockStarted: ClockStarted(
        work_order_id="WO-20250301-0001", clock="reply", policy_key="complaint.reply",
        category="complaint", assignee_id=7, started_at=AT, due_at=AT, provisional=True,
    ),
    DeadlineReplanned: DeadlineReplanned(
        work_order_id="WO-20250301-0001", clock="reply", policy_key="complaint.reply",
        assignee_id=7, started_at=AT, old_due_at=AT, new_due_at=AT, provisional=False,
        replanned_at=AT,
    ),
    DeadlineWarning: DeadlineWarning(
        work_order_id="WO-20250301-0001", clock="on_site", policy_key="fault_repair.urban",
        percent=75, due_at=AT, assignee_id=7, department="运检部", at=AT,
    ),
    ClockStopped: ClockStopped(
        work_order_id="WO-20250301-0001", clock="reply", policy_key="complaint.reply",
        category="complaint", assignee_id=7, due_at=AT, stopped_at=AT, on_time=True,
    ),
    WorkOrderEscalated: WorkOrderEscalated(
        work_order_id="WO-20250301-0001", level=Role.DUTY_LEADER, reason="overdue",
        clock="reply", assignee_id=7, at=AT,
    ),
    OutageDeclared: OutageDeclared(
        outage_id="GRID-2025-0701-17", area="望江街道", address_keywords=["上城区望江街道"],
        description="10kV 近江线故障跳闸", declared_at=AT, expected_restore_at=AT,
    ),
    OutageLifted: OutageLifted(outage_id="GRID-2025-0701-17", lifted_at=AT),
    StormDetected: StormDetected(
        storm_id="5f0c", area="望江街道", parent_work_order_id="WO-1",
        work_order_ids=["WO-1", "WO-2", "WO-3"], reports=3, window_minutes=30,
        first_report_at=AT, detected_at=AT,
    ),
}
# A field of each payload with a closed set of values (an enum, a range, a time), and a value
# outside it.
BAD_ENUM: dict[type[Payload], tuple[str, str]] = {
    WorkOrderCreated: ("category", "power_cut"),
    CallEnded: ("category", "power_cut"),
    WorkOrderRouted: ("role", "supervisor"),
    WorkOrderTransitioned: ("to_status", "lost"),
    WorkOrderEscalated: ("level", "seat_agent_boss"),
    ClockStarted: ("clock", "c" * 31),
    DeadlineReplanned: ("provisional", "perhaps"),
    DeadlineWarning: ("percent", 150),
    ClockStopped: ("on_time", "perhaps"),
    OutageDeclared: ("outage_id", ""),
    OutageLifted: ("outage_id", "x" * 65),
    StormDetected: ("reports", 1),
}
SAMPLES.update(ORG_SAMPLES)  # issue 4: organisation events
BAD_ENUM.update(ORG_BAD_ENUM)
SAMPLES.update(VISIT_SAMPLES)  # issue 14: visits events
BAD_ENUM.update(VISIT_BAD_ENUM)
SAMPLES.update(ASSETS_SAMPLES)  # issue 13: the assets service's events
BAD_ENUM.update(ASSETS_BAD_ENUM)
SAMPLES.update(CONSOLE_SAMPLES)  # issue 11: presence, outages on the pages, notices
BAD_ENUM.update(CONSOLE_BAD_ENUM)
SAMPLES.update(CTI_SAMPLES)  # issue 16: agent states and call outcomes from AMI
BAD_ENUM.update(CTI_BAD_ENUM)
EVENTS = {(event.event_type, event.version): event for event in script.catalogue()}
KEYS = sorted(CATALOGUE)


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return load_document()


def sample_body(key: tuple[str, int]) -> dict[str, Any]:
    """What a producer puts on the wire for ``key``, as a subscriber decodes it."""
    envelope = make_event(
        EVENTS[key].producer, SAMPLES[CATALOGUE[key]], occurred_at=AT, event_type=key[0]
    )
    return json.loads(json.dumps(envelope.body()))


def wrong_payloads(key: tuple[str, int]) -> dict[str, dict[str, Any]]:
    model = CATALOGUE[key]
    good = sample_body(key)["payload"]
    required = next(name for name, field in model.model_fields.items() if field.is_required())
    field, value = BAD_ENUM[model]
    return {
        f"missing {required}": {k: v for k, v in good.items() if k != required},
        f"{field}={value}": {**good, field: value},
    }


WRONG = [
    (key, case)
    for key in KEYS
    if CATALOGUE[key] in SAMPLES and CATALOGUE[key] in BAD_ENUM  # else the test below fails
    for case in wrong_payloads(key)
]


# (a) the committed document is what the script generates


def test_committed_document_is_generated() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == script.render(), (
        "contracts/asyncapi.yaml is stale: run python scripts/asyncapi.py"
    )
    assert script.main(["--check"]) == 0


def test_check_fails_with_a_diff_on_a_stale_document(tmp_path: Path, capsys) -> None:
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(script.render().replace("version: 1.0.0", "version: 0.9.0"), "utf-8")
    assert script.main(["--check", "--output", str(stale)]) == 1
    out = capsys.readouterr().out
    assert "-  version: 0.9.0" in out and "+  version: 1.0.0" in out


def test_rendering_is_deterministic() -> None:
    assert script.render() == script.render()


# (b) every catalogued event is documented, and nothing else is


def test_documented_messages_are_the_catalogue(document: dict[str, Any]) -> None:
    documented = set(document["components"]["messages"])
    assert documented == {message_id(*key) for key in CATALOGUE}
    for (event_type, version), model in CATALOGUE.items():
        message = document["components"]["messages"][message_id(event_type, version)]
        assert message["name"] == event_type
        assert message["payload"]["allOf"][1]["properties"]["payload"] == {
            "$ref": f"#/components/schemas/{model.__name__}"
        }


@pytest.mark.parametrize("key", KEYS, ids=lambda key: message_id(*key))
def test_payload_schema_is_the_models(document: dict[str, Any], key: tuple[str, int]) -> None:
    model = CATALOGUE[key]
    generated = model.model_json_schema(ref_template="#/components/schemas/{model}")
    hoisted = generated.pop("$defs", {})
    schemas = document["components"]["schemas"]
    assert schemas[model.__name__] == generated
    assert all(schemas[name] == sub for name, sub in hoisted.items())


@pytest.mark.parametrize("key", KEYS, ids=lambda key: message_id(*key))
def test_each_event_is_sent_on_its_exchange(document: dict[str, Any], key: tuple[str, int]) -> None:
    event = EVENTS[key]
    channel = document["channels"][event.channel]
    assert channel["address"] == event.event_type
    assert channel["bindings"]["amqp"] == {
        "is": "routingKey",
        "exchange": {
            "name": f"{event.producer}.events",
            "type": "topic",
            "durable": True,
            "autoDelete": False,
            "vhost": "/",
        },
        "bindingVersion": "0.3.0",
    }
    sends = [
        op
        for op in document["operations"].values()
        if op["action"] == "send" and op["channel"]["$ref"] == f"#/channels/{event.channel}"
    ]
    assert len(sends) == 1
    assert sends[0]["bindings"]["amqp"]["deliveryMode"] == 2
    message = document["components"]["messages"][message_id(*key)]
    assert message["bindings"]["amqp"]["contentEncoding"] == "utf-8"
    assert message["summary"] == event.fact
    assert message["description"].startswith(f"{event.fact[:-1]}: published by `{event.producer}`")


@pytest.mark.parametrize(
    ("operation", "queue"),
    [
        (
            "staffing_on_work_order_created",
            "evt-calls-work_order.created--staffing.on_work_order_created",
        ),
        (
            "calls_on_work_order_routed",
            "evt-staffing-work_order.routed--calls.on_work_order_routed",
        ),
    ],
)
def test_known_subscribers_are_documented(
    document: dict[str, Any], operation: str, queue: str
) -> None:
    received = document["operations"][operation]
    assert received["action"] == "receive"
    assert f"`{queue}`" in received["description"]
    assert f"`{queue}.retry`" in received["description"]
    assert f"`{queue}.dlq`" in received["description"]


def test_a_subscription_to_an_uncatalogued_event_is_refused(tmp_path: Path) -> None:
    service = tmp_path / "services" / "audit" / "service.py"
    service.parent.mkdir(parents=True)
    service.write_text(
        "class Audit:\n"
        '    name = "audit"\n\n'
        '    @reliable_event_handler("calls", "work_order.deleted")\n'
        "    def on_deleted(self, event, payload): ...\n",
        "utf-8",
    )
    with pytest.raises(SystemExit, match="audit.on_deleted subscribes"):
        script.build(tmp_path)


# (c) examples validate in pydantic and in the document; wrong payloads fail in both


@pytest.mark.parametrize("key", KEYS, ids=lambda key: message_id(*key))
def test_example_envelope_validates(document: dict[str, Any], key: tuple[str, int]) -> None:
    body = sample_body(key)
    envelope, payload = parse_event(body)
    assert payload == SAMPLES[CATALOGUE[key]]
    schema_validator("/components/schemas/Envelope", document).validate(body)
    schema_validator(f"/components/schemas/{CATALOGUE[key].__name__}", document).validate(
        body["payload"]
    )
    validate_published(body, document)


def test_every_catalogued_event_has_a_sample() -> None:
    assert set(SAMPLES) == set(CATALOGUE.values()) == set(BAD_ENUM)


@pytest.mark.parametrize(("key", "case"), WRONG, ids=[f"{message_id(*k)}: {c}" for k, c in WRONG])
def test_wrong_payload_fails_everywhere(
    document: dict[str, Any], key: tuple[str, int], case: str
) -> None:
    body = {**sample_body(key), "payload": wrong_payloads(key)[case]}
    with pytest.raises(InvalidEvent):
        parse_event(body)
    validator = schema_validator(f"/components/schemas/{CATALOGUE[key].__name__}", document)
    assert not validator.is_valid(body["payload"])
    with pytest.raises(ContractViolation, match=r"at \$\.payload"):
        validate_published(body, document)


# payload fields that are free-form mappings (any key is theirs to keep)
FREE_FORM = {name for model in CATALOGUE.values() for name, field in model.model_fields.items()
             if get_origin(field.annotation) is dict}


def with_unknown_fields(key: tuple[str, int]) -> dict[str, Any]:
    """A newer producer's message for ``key``: a field added to the envelope, to the payload
    and to every object inside the payload."""
    body = sample_body(key)

    def grow(value: Any) -> Any:
        if isinstance(value, dict):
            return {**{k: v if k in FREE_FORM else grow(v) for k, v in value.items()},
                    "added_later": {"x": 1}}
        if isinstance(value, list):
            return [grow(item) for item in value]
        return value

    return {**body, "traceparent": "00-1", "payload": grow(body["payload"])}


@pytest.mark.parametrize("key", KEYS, ids=[message_id(*k) for k in KEYS])
def test_a_reader_ignores_fields_it_does_not_know(document: dict[str, Any], key) -> None:
    """Tolerant readers: a field added within a version is ignored, so its producer may be
    deployed first; but this version's producers never publish one (the document is strict)."""
    if CATALOGUE[key] not in SAMPLES:
        pytest.skip("no sample")
    newer = with_unknown_fields(key)
    envelope, payload = parse_event(newer)
    assert payload == parse_event(sample_body(key))[1]
    assert envelope.payload.keys() >= {"added_later"}  # kept whole in the envelope
    with pytest.raises(ContractViolation, match="Additional properties"):
        validate_published(newer, document)


def test_a_producer_cannot_add_an_undeclared_field() -> None:
    with pytest.raises(ValidationError):
        Caller(number="95598", unexpected=1)


# validate_published, as integration tests use it on what a service really published


def test_validate_published_names_the_event_and_every_mismatch() -> None:
    body = sample_body(("work_order.created", 1))
    body["payload"]["caller"]["number"] = "1" * 65
    body["payload"]["category"] = "power_cut"
    with pytest.raises(ContractViolation) as caught:
        validate_published(body)
    message = str(caught.value)
    assert message.startswith("work_order.created v1 does not match asyncapi.yaml")
    assert "$.payload.caller.number" in message and "$.payload.category" in message


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"version": 99}, "work_order.created v99 is not documented"),
        ({"type": "work_order.deleted"}, "work_order.deleted v1 is not documented"),
        ({"type": None}, "not an event envelope"),
        ({"producer": "staffing"}, r"\$\.producer"),
        ({"id": "not-a-uuid"}, r"\$\.id"),
        ({"extra": True}, "Additional properties"),
    ],
)
def test_validate_published_rejects_bad_envelopes(change: dict[str, Any], expected: str) -> None:
    body = {**sample_body(("work_order.created", 1)), **change}
    with pytest.raises(ContractViolation, match=expected):
        validate_published(body)


def test_validate_published_rejects_a_non_object() -> None:
    with pytest.raises(ContractViolation, match="JSON object"):
        validate_published([])  # type: ignore[arg-type]


# (d) the document is structurally valid AsyncAPI 3.0


def test_document_is_valid_asyncapi(document: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # the package's own field-name warnings
        from asyncapi3 import AsyncAPI3

    assert document["asyncapi"] == "3.0.0"
    assert {"title", "version"} <= set(document["info"])
    AsyncAPI3.model_validate(document)


def test_document_validator_catches_a_misplaced_binding(document: dict[str, Any]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        from asyncapi3 import AsyncAPI3

    broken = copy.deepcopy(document)
    key = message_id(*KEYS[0])
    broken["components"]["messages"][key]["bindings"]["amqp"]["deliveryMode"] = 2
    with pytest.raises(ValueError, match="deliveryMode"):
        AsyncAPI3.model_validate(broken)


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return own + [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_every_ref_resolves(document: dict[str, Any]) -> None:
    resolver = (
        Registry().with_resource("", Resource.from_contents(document, DRAFT202012)).resolver()
    )
    refs = _refs(document)
    assert refs
    for ref in refs:
        assert ref.startswith("#/"), f"{ref} leaves the document"
        try:
            resolver.lookup(ref)
        except Unresolvable as exc:
            pytest.fail(f"{ref} does not resolve: {exc!r}")


def test_operations_use_their_own_channels_messages(document: dict[str, Any]) -> None:
    for name, operation in document["operations"].items():
        channel = operation["channel"]["$ref"]
        for ref in operation["messages"]:
            assert ref["$ref"].startswith(f"{channel}/messages/"), name
