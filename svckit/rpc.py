"""nameko's ``@rpc``, except that a reply the broker cannot take does not kill the service.

nameko 2.14 sends an RPC's reply from the worker; when the broker has gone (a restart, a lost
node) the publish raises and nameko kills the whole container, so one broker restart took down
every service with an RPC in flight (issue 15, the fault suite). Here the reply is given up
with a warning instead: the request was not acknowledged, so the broker delivers it again once
it is back (RPC handlers of this platform are idempotent or refuse a repeat), and the caller's
own timeout tells it to try again meanwhile.
"""

from __future__ import annotations

import logging

from amqp.exceptions import ConnectionError as AmqpConnectionError
from kombu.exceptions import OperationalError
from nameko.rpc import Rpc, RpcConsumer

log = logging.getLogger(__name__)

BROKER_GONE = (OperationalError, AmqpConnectionError, ConnectionError)


class SteadyRpcConsumer(RpcConsumer):
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
