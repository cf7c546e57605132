"""A broker holding the queues of an older release (classic event and RPC queues, retry queues
that dead-letter at most once): `manage.py quorum-queues` declares them again as this release
does, with the same names, bound as before, with their messages."""

import pika

from svckit.broker import pika_parameters
from svckit.queues import event_queues, to_quorum
from tests.conftest import rabbit_queue


def test_older_queues_are_declared_again_as_now_with_their_messages(amqp_uri):
    queues = list(event_queues())
    main = next(q for q in queues if q.exchange and q.exchange.endswith(".events"))
    retry = next(q for q in queues if q.name == f"{main.name}.retry")
    rpc = next(q for q in queues if q.name.startswith("rpc-"))
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        for queue in (main, rpc):  # classic, as older releases declared them
            channel.exchange_declare(queue.exchange, "topic", durable=True)
            channel.queue_declare(queue.name, durable=True)
            channel.queue_bind(queue.name, queue.exchange, queue.routing_key)
        channel.queue_declare(retry.name, durable=True, arguments={  # at most once
            key: value for key, value in retry.arguments.items()
            if key not in ("x-dead-letter-strategy", "x-overflow")})
        for body in (b"one", b"two"):
            channel.basic_publish(main.exchange, main.routing_key, body,
                                  pika.BasicProperties(delivery_mode=2, message_id=body.decode()))

    assert sorted(to_quorum(amqp_uri)) == sorted([(main.name, 2), (retry.name, 0), (rpc.name, 0)])
    assert to_quorum(amqp_uri) == []  # once is enough

    assert rabbit_queue(amqp_uri, main.name)["type"] == "quorum"
    assert rabbit_queue(amqp_uri, rpc.name)["type"] == "quorum"
    assert rabbit_queue(amqp_uri, retry.name)["arguments"]["x-dead-letter-strategy"] == \
        "at-least-once"
    with pika.BlockingConnection(pika_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(main.exchange, main.routing_key, b"three", mandatory=True)
        got = [channel.basic_get(main.name, auto_ack=True) for _ in range(3)]
    assert [body for _, _, body in got] == [b"one", b"two", b"three"]  # kept, and still bound
    assert got[0][1].message_id == "one"
