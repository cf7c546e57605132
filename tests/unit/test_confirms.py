"""How a batch's confirms are read (svckit/confirms.py): acks and nacks for one publication or,
with ``multiple``, for every one up to a delivery tag; returns named by message id."""

from collections import defaultdict
from types import SimpleNamespace

from kombu import Exchange

from svckit.confirms import ConfirmChannel, Outgoing

EXCHANGE = Exchange("calls.events", type="topic", durable=True)


class FakeChannel:
    def __init__(self) -> None:
        self.events = defaultdict(set)
        self.sent: list[str] = []
        self.connection, self.is_open = object(), True

    def confirm_select(self) -> None:
        pass

    def exchange_declare(self, **_kwargs) -> None:
        pass

    def basic_publish(self, message, **_kwargs) -> None:
        self.sent.append(message.properties["message_id"])

    def broker(self, kind: str, *args) -> None:
        for callback in self.events[kind]:
            callback(*args)


def sent(*ids: str) -> tuple[ConfirmChannel, FakeChannel]:
    channel = FakeChannel()
    confirming = ConfirmChannel(SimpleNamespace(channel=lambda: channel))
    for message_id in ids:
        confirming.send(Outgoing(EXCHANGE, "work_order.created", message_id, "{}"))
    return confirming, channel


def test_a_multiple_ack_settles_every_publication_up_to_its_tag():
    confirming, channel = sent("a", "b", "c")
    channel.broker("basic_ack", 2, True)
    assert confirming.pending == {3: "c"}
    channel.broker("basic_ack", 3, False)
    assert confirming.pending == {}
    assert confirming.outcome(timed_out=False).confirmed == {"a", "b", "c"}


def test_a_nacked_publication_is_settled_but_not_confirmed():
    confirming, channel = sent("a", "b", "c")
    channel.broker("basic_ack", 1, False)
    channel.broker("basic_nack", 3, True)
    outcome = confirming.outcome(timed_out=False)
    assert (outcome.confirmed, outcome.returned) == ({"a"}, set())


def test_a_returned_publication_is_acked_yet_reported_unroutable():
    confirming, channel = sent("a", "b")
    channel.broker("basic_return", None, "calls.events", "work_order.created",
                   SimpleNamespace(properties={"message_id": "b"}))
    channel.broker("basic_ack", 2, True)
    outcome = confirming.outcome(timed_out=False)
    assert (outcome.confirmed, outcome.returned) == ({"a"}, {"b"})


def test_tags_go_on_counting_from_one_batch_to_the_next_on_a_channel():
    confirming, channel = sent("a")
    channel.broker("basic_ack", 1, False)
    confirming.outcome(timed_out=False)
    confirming.send(Outgoing(EXCHANGE, "work_order.created", "b", "{}"))
    assert confirming.pending == {2: "b"}
    assert channel.sent == ["a", "b"]
