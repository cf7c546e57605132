"""The dead-letter watch also notices a handler queue with ready messages and no consumer at two
reads in a row, and has the consumer connect again (issue 15: calls' consumer stayed silent after
failing over to another node)."""

import svckit.events as events
from svckit.events import DeadLetterWatch


class Thing:
    """An object with the given attributes, hashable as every object is (by identity)."""

    def __init__(self, **attributes) -> None:
        self.__dict__.update(attributes)


class FakeChannel:
    def __init__(self, queues: dict[str, tuple[int, int]]) -> None:
        self.queues = queues

    def queue_declare(self, name: str, passive: bool):
        assert passive  # the watch never creates anything
        ready, consumers = self.queues.get(name, (0, 0))
        return name, ready, consumers


class FakeConnection:
    queues: dict[str, tuple[int, int]] = {}

    def __init__(self, *args, **kwargs) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        pass

    def channel(self) -> FakeChannel:
        return FakeChannel(self.queues)


def watch_over(monkeypatch, *names: str):
    monkeypatch.setattr(events, "Connection", FakeConnection)
    reconnects = []
    consumer = Thing(connect_again=lambda: reconnects.append(1))
    watch = DeadLetterWatch()
    watch.container = Thing(config={"AMQP_URI": "pyamqp://"})
    for name in names:
        watch._providers.add(Thing(
            queue=Thing(name=name), dead_letter_queue=Thing(name=f"{name}.dlq"),
            container=Thing(service_name="calls"), consumer_name=f"calls.{name}",
            queue_consumer=consumer))
    return watch, reconnects


def test_a_queue_with_messages_and_no_consumer_twice_in_a_row_makes_the_consumer_reconnect(
        monkeypatch):
    watch, reconnects = watch_over(monkeypatch, "routed", "ended")
    FakeConnection.queues = {"routed": (146, 0), "ended": (0, 1)}
    watch.measure()
    assert reconnects == []  # once may be a consumer starting
    watch.measure()
    assert reconnects == [1]
    watch.measure()
    assert reconnects == [1]  # then it starts counting again


def test_a_consumed_or_empty_queue_is_left_alone(monkeypatch):
    watch, reconnects = watch_over(monkeypatch, "routed", "ended")
    FakeConnection.queues = {"routed": (146, 1), "ended": (0, 0)}
    for _ in range(3):
        watch.measure()
    assert reconnects == []
