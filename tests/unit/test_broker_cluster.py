"""The broker as a cluster (svckit/broker.py, issue 15): every node of ``AMQP_URI`` is tried,
and every queue the platform consumes outlives the loss of the node it was declared on."""

import importlib

import pytest
from kombu import Queue
from nameko.events import EventHandler
from nameko.extensions import ENTRYPOINT_EXTENSIONS_ATTR
from nameko.rpc import RpcProxy as NamekoRpcProxy

from svckit.broker import QUORUM, for_cluster, node_uris, pika_parameters, queue_kind
from svckit.events import ClusterEventHandler, retry_arguments
from svckit.rpc import RpcProxy
from svckit.services import SERVICES

NODES = "pyamqp://u:p@rabbit-0:5672/csc;pyamqp://u:p@rabbit-1:5673/csc; pyamqp://u:p@rabbit-2/csc"


def test_every_node_of_the_setting_is_tried_in_order():
    assert node_uris(NODES)[1] == "pyamqp://u:p@rabbit-1:5673/csc"
    params = pika_parameters(NODES)
    assert [(p.host, p.port, p.virtual_host) for p in params] == [
        ("rabbit-0", 5672, "csc"), ("rabbit-1", 5673, "csc"), ("rabbit-2", 5672, "csc")]
    assert len(pika_parameters("pyamqp://guest:guest@127.0.0.1:5672/")) == 1


def test_a_shared_kept_queue_becomes_a_quorum_queue():
    queue = for_cluster(Queue("rpc-calls", durable=True), queue_kind({}))
    assert queue.durable and queue.queue_arguments == QUORUM


def test_on_a_classic_broker_a_shared_queue_stays_as_it_was():
    classic = queue_kind({"EVENT_QUEUE_TYPE": "classic"})
    queue = for_cluster(Queue("rpc-calls", durable=True), classic)
    assert queue.durable and not queue.queue_arguments


@pytest.mark.parametrize("queue", [
    Queue("rpc.reply-gateway-1", queue_arguments={"x-expires": 300000}),  # nameko's reply queue
    Queue("evt-calls-x--gateway.on-1", durable=True, exclusive=True, auto_delete=True),
    Queue("evt-calls-x--gateway.on", durable=True, auto_delete=True),
], ids=["reply", "broadcast", "auto-delete"])
def test_a_queue_of_one_process_is_transient_so_that_it_goes_with_its_node(queue):
    kept = dict(queue.queue_arguments or {})
    for_cluster(queue, dict(QUORUM))
    assert not queue.durable
    assert (queue.queue_arguments or {}) == kept  # never quorum: it could not be exclusive


def test_retry_queues_dead_letter_at_least_once_on_quorum_queues():
    arguments = retry_arguments("evt-calls-call.ended--staffing.on_call_ended", dict(QUORUM))
    assert arguments["x-dead-letter-strategy"] == "at-least-once"
    assert arguments["x-overflow"] == "reject-publish"  # the strategy requires it
    assert arguments["x-dead-letter-routing-key"] == "evt-calls-call.ended--staffing.on_call_ended"
    assert "x-dead-letter-strategy" not in retry_arguments("q", {})  # classic: no such strategy


def _dependencies_and_entrypoints(cls):
    for name in dir(cls):
        value = getattr(cls, name)
        yield name, value
        for entrypoint in getattr(value, ENTRYPOINT_EXTENSIONS_ATTR, ()):
            yield name, entrypoint


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_every_rpc_proxy_and_event_handler_is_the_cluster_kind(service):
    module, _, name = service.entry.partition(":")
    cls = getattr(importlib.import_module(module), name)
    found = list(_dependencies_and_entrypoints(cls))
    assert [n for n, v in found if isinstance(v, NamekoRpcProxy) and type(v) is not RpcProxy] == []
    assert [n for n, v in found
            if isinstance(v, EventHandler) and not isinstance(v, ClusterEventHandler)] == []
