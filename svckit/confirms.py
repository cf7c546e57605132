"""Publishing a batch with one wait for the broker's confirms (issue 12).

nameko's Publisher with confirms waits for each message's ack before sending the next: about a
millisecond and a round trip per event. Here a batch is sent in order on a channel in confirm
mode, then the acks, nacks and returns of all its messages are awaited together. The broker
numbers a confirm-mode channel's publications 1, 2, 3...; an ack or nack may settle several at
once (``multiple``); a ``mandatory`` message that no queue takes comes back (basic.return)
before its ack, named by its message id.

The connection is taken from nameko's pool exactly as its Publisher takes one (same URI, same
transport options; svckit.broker.pooled_connection); only the channel is ours, kept while its
connection is.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from time import monotonic

from amqp import Message
from kombu import Exchange

from svckit.broker import pooled_connection

log = logging.getLogger(__name__)

PERSISTENT = 2


@dataclass(frozen=True)
class Outgoing:
    """One event to publish: its stored JSON body, sent as is."""

    exchange: Exchange
    routing_key: str
    message_id: str
    body: str


@dataclass
class Outcome:
    """What the broker said of a batch, by message id; an id in none of the three was nacked
    or not confirmed in time: it must be published again."""

    confirmed: set[str] = field(default_factory=set)
    returned: set[str] = field(default_factory=set)  # unroutable: no queue bound
    timed_out: bool = False


class ConfirmChannel:
    """A channel in confirm mode and its publications awaiting a confirm (tag -> message id)."""

    def __init__(self, connection) -> None:
        self.channel = connection.channel()
        self.channel.confirm_select()
        self.channel.events["basic_ack"].add(self._on_ack)
        self.channel.events["basic_nack"].add(self._on_nack)
        self.channel.events["basic_return"].add(self._on_return)
        self.last_tag = 0
        self.declared: set[str] = set()
        self.pending: dict[int, str] = {}
        self.acked: set[str] = set()
        self.returned: set[str] = set()

    def usable_on(self, transport) -> bool:
        return self.channel.connection is transport and self.channel.is_open

    def send(self, message: Outgoing) -> None:
        if message.exchange.name not in self.declared:
            message.exchange(self.channel).declare()
            self.declared.add(message.exchange.name)
        self.channel.basic_publish(
            Message(message.body, content_type="application/json", content_encoding="utf-8",
                    delivery_mode=PERSISTENT, message_id=message.message_id, priority=0,
                    headers={}),
            exchange=message.exchange.name, routing_key=message.routing_key, mandatory=True,
        )
        self.last_tag += 1
        self.pending[self.last_tag] = message.message_id

    def outcome(self, timed_out: bool) -> Outcome:
        """What the batch came to; the channel is ready for the next one."""
        outcome = Outcome(self.acked - self.returned, set(self.returned), timed_out)
        self.pending, self.acked, self.returned = {}, set(), set()
        return outcome

    def _settle(self, tag: int, multiple: bool, acked: bool) -> None:
        tags = [t for t in self.pending if t <= tag] if multiple else [tag]
        for t in tags:
            message_id = self.pending.pop(t, None)
            if message_id is not None and acked:
                self.acked.add(message_id)

    def _on_ack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, acked=True)

    def _on_nack(self, tag: int, multiple: bool) -> None:
        self._settle(tag, multiple, acked=False)

    def _on_return(self, _exc, _exchange, _routing_key, message) -> None:
        self.returned.add(message.properties.get("message_id"))


class BatchPublisher:
    """Publishes batches of persistent, ``mandatory`` messages with one confirm wait each."""

    def __init__(self, amqp_uri: str, confirm_timeout: float) -> None:
        self.amqp_uri = amqp_uri
        self.confirm_timeout = confirm_timeout
        # one per pooled connection the relay was handed (the pool has few)
        self._channels: dict[object, ConfirmChannel] = {}

    def publish(self, batch: Sequence[Outgoing]) -> Outcome:
        """Send ``batch`` in order, then wait once (up to the confirm timeout) for all of it."""
        if not batch:
            return Outcome()
        # an error (a half-sent batch, say) drops the connection, its channel with it
        with pooled_connection(self.amqp_uri) as connection:
            return self._publish_on(connection, batch)

    def _publish_on(self, connection, batch: Sequence[Outgoing]) -> Outcome:
        confirming = self._channel_on(connection)
        for message in batch:
            confirming.send(message)
        settled = self._await(connection, confirming)
        outcome = confirming.outcome(timed_out=not settled)
        if not settled:  # a node lost with the batch in flight, say
            log.warning("no confirm for %d of %d events within %.0f s; they stay unpublished",
                        len(batch) - len(outcome.confirmed) - len(outcome.returned),
                        len(batch), self.confirm_timeout)
            self._drop(connection)
        return outcome

    def _await(self, connection, confirming: ConfirmChannel) -> bool:
        """Read the broker's frames until every publication is settled; False on timeout."""
        deadline = monotonic() + self.confirm_timeout
        while confirming.pending:
            remaining = deadline - monotonic()
            if remaining <= 0:
                return False
            try:
                connection.drain_events(timeout=remaining)
            except TimeoutError:
                return False
        return True

    def _channel_on(self, connection) -> ConfirmChannel:
        transport = connection.connection  # connects if needed
        confirming = self._channels.get(transport)
        if confirming is None or not confirming.usable_on(transport):
            self._forget_closed()
            confirming = self._channels[transport] = ConfirmChannel(connection)
        return confirming

    def _forget_closed(self) -> None:
        self._channels = {t: c for t, c in self._channels.items() if c.usable_on(t)}

    def _drop(self, connection) -> None:
        """Forget the connection's channel and close the connection without waiting on the
        broker (its channels with it); the pool's next use of it connects afresh."""
        connection.collect()
        self._forget_closed()
