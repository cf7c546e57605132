"""A broker holding the classic event queues of an older release: `manage.py quorum-queues`
turns them into quorum queues of the same names, bound as before, with their messages."""

import pika

from svckit.deadletters import connection_parameters
from svckit.queues import event_queues, to_quorum
from tests.conftest import rabbit_queue


def test_classic_event_queues_become_quorum_queues_with_their_messages(amqp_uri):
    main, retry = next(event_queues()), None
    retry = next(q for q in event_queues() if q.name == f"{main.name}.retry")
    with pika.BlockingConnection(connection_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.exchange_declare(main.exchange, "topic", durable=True)
        channel.queue_declare(main.name, durable=True)  # classic, as older releases declared
        channel.queue_bind(main.name, main.exchange, main.routing_key)
        channel.queue_declare(retry.name, durable=True, arguments={
            key: value for key, value in retry.arguments.items() if key != "x-queue-type"})
        for body in (b"one", b"two"):
            channel.basic_publish(main.exchange, main.routing_key, body,
                                  pika.BasicProperties(delivery_mode=2, message_id=body.decode()))

    assert to_quorum(amqp_uri) == [(main.name, 2), (retry.name, 0)]
    assert to_quorum(amqp_uri) == []  # once is enough

    assert rabbit_queue(amqp_uri, main.name)["type"] == "quorum"
    assert rabbit_queue(amqp_uri, retry.name)["type"] == "quorum"
    with pika.BlockingConnection(connection_parameters(amqp_uri)) as connection:
        channel = connection.channel()
        channel.confirm_delivery()
        channel.basic_publish(main.exchange, main.routing_key, b"three", mandatory=True)
        got = [channel.basic_get(main.name, auto_ack=True) for _ in range(3)]
    assert [body for _, _, body in got] == [b"one", b"two", b"three"]  # kept, and still bound
    assert got[0][1].message_id == "one"
