"""The broker as a cluster of nodes (issue 15): every AMQP user of the platform fails over to a
live node when the one it is connected to is lost.

One setting lists the nodes: ``AMQP_URI``, one URL or several separated by ``;``
(``pyamqp://u:p@rabbit-0:5672/;pyamqp://u:p@rabbit-1:5672/``). kombu reads that list itself
(nameko's consumers, RPC proxies, publishers: on a connection error it moves on to the next URL,
round robin); pika takes it as a list of parameters (:func:`pika_parameters`).

Reaching another node is half of it: the queues must still be there. A durable classic queue
lives on one node; while that node is down every other node answers a declare or a consume of it
with 404 "home node ... is down", so a consumer that failed over could not start again. So
(:func:`for_cluster`):

- a queue shared by a service's instances and kept across restarts (an RPC queue, a reliable
  event handler's queues) is a quorum queue, replicated: a follower takes the lead;
- a queue of one process (an RPC reply queue, a broadcast or auto-delete event queue) is
  transient: the broker drops it with its node, and the process declares it again on the node
  it fails over to. Replies in flight on the lost node are lost with it; the caller's own
  timeout covers them, as it covers a lost request.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import unquote, urlsplit

import pika
from kombu import Connection, Queue
from nameko.amqp.publish import get_connection

QUORUM = {"x-queue-type": "quorum"}


def node_uris(amqp_uri: str) -> list[str]:
    """The nodes' URLs of ``AMQP_URI``, in order."""
    return [uri.strip() for uri in amqp_uri.split(";") if uri.strip()]


def connection_parameters(amqp_uri: str) -> pika.ConnectionParameters:
    """pika's parameters for one node's URL."""
    parts = urlsplit(amqp_uri)
    return pika.ConnectionParameters(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5672,
        virtual_host=unquote(parts.path[1:]) or "/",
        credentials=pika.PlainCredentials(parts.username or "guest", parts.password or "guest"),
    )


def pika_parameters(amqp_uri: str) -> list[pika.ConnectionParameters]:
    """Every node of ``AMQP_URI``: ``pika.BlockingConnection`` tries them in turn."""
    return [connection_parameters(uri) for uri in node_uris(amqp_uri)]


def queue_kind(config: dict) -> dict:
    """The shared queues' type arguments from ``EVENT_QUEUE_TYPE`` (``quorum``, the default:
    replicated, so a cluster node can fail without losing a message or a queue; ``classic``
    for a broker that lives seconds on one node, as each test's vhost does: hundreds of quorum
    queues made and dropped per minute wore the test broker down). It governs the event
    handlers' queues and each service's RPC queue."""
    kind = str(config.get("EVENT_QUEUE_TYPE", "quorum"))
    if kind not in ("quorum", "classic"):
        raise ValueError(f"EVENT_QUEUE_TYPE must be quorum or classic, not {kind!r}")
    return dict(QUORUM) if kind == "quorum" else {}


def of_one_process(queue: Queue) -> bool:
    """A queue that serves one process only (exclusive, auto-deleted, or expiring when unused,
    as nameko's RPC reply queues do)."""
    return bool(queue.exclusive or queue.auto_delete
                or "x-expires" in (queue.queue_arguments or {}))


def for_cluster(queue: Queue, kind: dict) -> Queue:
    """``queue`` made to outlive the loss of a node, in place: transient when it serves one
    process, of ``kind`` (quorum, from :func:`queue_kind`) when it is shared and durable."""
    if of_one_process(queue):
        queue.durable = False
    elif queue.durable and kind:
        queue.queue_arguments = {**(queue.queue_arguments or {}), **kind}
    return queue


@contextmanager
def pooled_connection(amqp_uri: str) -> Iterator[Connection]:
    """One of nameko's pooled connections (kombu's pool), usable again after an error.

    kombu's pooled connection closes itself for good when an exception leaves its ``with``,
    then goes back to the pool all the same: every later user of it finds no connection
    ("'NoneType' object has no attribute 'channel'") until the process restarts. Here an error
    drops the connection's socket instead (``collect``), so the pool's next user connects
    afresh, and leaves once the connection is back in the pool.
    """
    failure: BaseException | None = None
    with get_connection(amqp_uri) as connection:
        try:
            yield connection
        except Exception as error:
            connection.collect()
            failure = error
    if failure is not None:
        raise failure
