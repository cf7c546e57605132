"""The first node listed in ``AMQP_URI`` is down: every AMQP user of the call path goes to the
next one (issue 15). A cheap stand-in for the fault suite's cluster row (`make faults`): the
machine's one broker plays the live node, a port nobody listens on the lost one. What it cannot
show on one node, queues outliving their node, tests/unit/test_broker_cluster.py checks on the
declarations and `make faults` on a real three-node cluster."""

import uuid

import pika
import pytest

from faults.ports import free_ports
from svckit.broker import pika_parameters
from svckit.events import ReliableEventHandler
from svckit.health import broker_reachable
from tests.integration import amqp, harness
from tests.integration.client import KNOWN_CALLER, call, login, routed_order
from tests.integration.test_reliability import created_event


@pytest.mark.parametrize("db_backend", ["sqlite"])  # the broker is the subject, not the database
def test_with_the_first_node_down_a_call_is_routed_and_its_events_published(
        db_backend, stores, hotline_staff, run_service, amqp_uri):
    lost = amqp_uri.replace(amqp_uri.split("@")[1].split("/")[0], f"127.0.0.1:{free_ports(1)[0]}")
    nodes = f"{lost};{amqp_uri}"
    ended = amqp.Listener(amqp_uri, "calls.events", "call.ended")
    harness.add_customer(stores["calls"], *KNOWN_CALLER)
    run_service("staffing", AMQP_URI=nodes)
    calls = run_service("calls", AMQP_URI=nodes)
    gateway = run_service("gateway", AMQP_URI=nodes)
    system = {"agi": harness.agi_port(calls),
              "api": f"http://127.0.0.1:{harness.http_port(gateway)}/api"}

    transcript = call(system, caller_num=KNOWN_CALLER[0], digits=["2"])

    assert transcript.variables["ROUTE_TARGET"] == "PJSIP/8001"  # calls -> staffing RPC
    order_id = transcript.variables["WORK_ORDER_ID"]
    # the gateway's RPC, staffing's relay and calls' consumer of work_order.routed
    assert routed_order(system, login(system), order_id)["status"] == "assigned"
    assert [e["payload"]["call_uniqueid"] for e in ended.drain()] == [transcript.uniqueid]
    assert broker_reachable(nodes)
    with pika.BlockingConnection(pika_parameters(nodes)) as connection:  # raw AMQP tools
        assert connection.is_open


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_consumer_told_to_connect_again_consumes_again(
        db_backend, stores, hotline_staff, run_service, amqp_uri):
    """What the dead-letter watch does to a consumer the broker forgot (svckit/events.py)."""
    staffing = run_service("staffing")
    consumer = next(e.queue_consumer for e in staffing.entrypoints
                    if isinstance(e, ReliableEventHandler))
    routed = amqp.Listener(amqp_uri, "staffing.events", "work_order.routed")

    first = consumer._amqp
    consumer.connect_again()
    harness.wait_for(lambda: consumer._amqp is not first)  # a new connection, consumers on it
    amqp.publish_event(amqp_uri, created_event(str(uuid.uuid4())))

    assert len(routed.drain(expect=1, timeout=10)) == 1
