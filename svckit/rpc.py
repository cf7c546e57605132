"""nameko's ``@rpc``, except that a reply the broker cannot take does not kill the service.

nameko 2.14 sends an RPC's reply from the worker; when the broker has gone (a restart, a lost
node) the publish raises and nameko kills the whole container, so one broker restart took down
every service with an RPC in flight (issue 15, the fault suite). Here the reply is given up
with a warning instead: the request was not acknowledged, so the broker delivers it again once
it is back (RPC handlers of this platform are idempotent or refuse a repeat), and the caller's
own timeout tells it to try again meanwhile.

Both ends also outlive the loss of the cluster node they use (svckit/broker.py): the service's
RPC queue is a quorum queue (``EVENT_QUEUE_TYPE``), and a caller's reply queue is transient, so
that it is declared again on the node the caller fails over to. Use this module's ``rpc`` and
``RpcProxy``, not nameko's.
"""

from __future__ import annotations

import logging

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.rpc import ReplyListener, Rpc, RpcConsumer
from nameko.rpc import RpcProxy as NamekoRpcProxy

from svckit.broker import for_cluster, queue_kind

log = logging.getLogger(__name__)

BROKER_GONE = (OperationalError, AmqpConnectionError, ConnectionError)


class SteadyRpcConsumer(RpcConsumer):
    def setup(self) -> None:
        super().setup()
        for_cluster(self.queue, queue_kind(self.container.config))

    def handle_result(self, message, result, exc_info):
        try:
            return super().handle_result(message, result, exc_info)
        except BROKER_GONE:
            log.warning("an RPC reply was not sent: the broker is unreachable; the request "
                        "will be delivered again", exc_info=True)
            return result, exc_info


class SteadyRpc(Rpc):
    rpc_consumer = SteadyRpcConsumer()


rpc = SteadyRpc.decorator


class ClusterReplyListener(ReplyListener):
    """nameko's reply listener on a transient queue: a durable one stayed on a lost node, and
    the caller could not consume its replies anywhere else until that node came back."""

    def setup(self) -> None:
        super().setup()
        for_cluster(self.queue, queue_kind(self.container.config))


class RpcProxy(NamekoRpcProxy):
    rpc_reply_listener = ClusterReplyListener()
