"""A small AMI client for a green (eventlet) process.

pyst2's ``asterisk.manager`` is not used: it runs three OS-style threads per connection and a
``Thread`` cannot be restarted (a reconnect needs a new object); it hands responses to callers in
arrival order, not by ``ActionID``, so one unanswered action shifts every later answer; its
``Response: ... status will follow`` special case swallows a whole ``QueueStatus`` event list
into one message whose headers overwrite each other; and it calls ``dict.has_key`` (Python 2)
for ``ChanVariable`` headers, which kills its reader thread at the first event carrying one.

Here one green thread reads; each action waits on its own :class:`eventlet.event.Event` found by
``ActionID``; event lists (``EventList: start`` ... ``EventList: Complete``) are collected for
their action; every other event goes to ``on_event`` in arrival order.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import eventlet
from eventlet.event import Event

from svckit.ami.protocol import AmiProtocolError, Message, MessageReader, encode

_log = logging.getLogger(__name__)


class AmiError(Exception):
    """Asterisk answered ``Response: Error`` (the message says why)."""


class AmiUnavailable(ConnectionError):
    """No logged-in AMI connection (down, reconnecting, or the action timed out)."""


@dataclass
class Reply:
    """An action's response and, for a list action, the events of its list."""

    response: Message
    items: list[Message] = field(default_factory=list)


@dataclass
class _Pending:
    listing: bool
    done: Event = field(default_factory=Event)
    response: Message | None = None
    items: list[Message] = field(default_factory=list)


class AmiClient:
    """One TCP connection to Asterisk's manager port."""

    def __init__(self, on_event: Callable[[Message], None],
                 on_close: Callable[[BaseException | None], None] | None = None) -> None:
        self.on_event = on_event
        self.on_close = on_close
        self.version: str | None = None
        self._sock: socket.socket | None = None
        self._pending: dict[str, _Pending] = {}
        self._ids = itertools.count(1)
        self._prefix = uuid.uuid4().hex[:8]
        self._reader = None
        self.closed = Event()

    def connect(self, host: str, port: int, timeout: float = 5.0) -> str:
        """Open the connection and read the banner; returns the AMI version."""
        sock = eventlet.connect((host, port))
        sock.settimeout(timeout)
        reader = MessageReader(sock)
        try:
            self.version = reader.banner()
        except (OSError, AmiProtocolError):
            sock.close()
            raise
        sock.settimeout(None)
        self._sock = sock
        self._reader = eventlet.spawn(self._read, reader)
        return self.version

    def login(self, username: str, secret: str, timeout: float = 5.0) -> None:
        """``Login``; a refusal raises :class:`AmiError` (Asterisk then closes the line)."""
        self.send("Login", timeout=timeout, Username=username, Secret=secret)

    def send(self, action: str, timeout: float = 5.0, action_id: str | None = None,
             **fields: object) -> Message:
        """Send an action and wait for its response; ``Response: Error`` raises AmiError.
        ``action_id``: one the caller chooses, to recognise the events that follow later
        (``OriginateResponse``)."""
        return self._call(action, fields, timeout, listing=False, action_id=action_id).response

    def send_list(self, action: str, timeout: float = 10.0, **fields: object) -> Reply:
        """Send an action whose answer is an event list; wait for the whole list."""
        return self._call(action, fields, timeout, listing=True)

    def close(self) -> None:
        """Shut the line down; the reader sees the end, closes the socket and ``closed`` fires.
        (Closing a green socket under a reader blocked on it would leave that reader asleep
        for ever, so only the reader closes it.)"""
        if self._sock is not None:
            with contextlib.suppress(OSError):
                self._sock.shutdown(socket.SHUT_RDWR)
        if self._reader is not None and eventlet.getcurrent() is not self._reader:
            self.closed.wait()

    # -- inside ---------------------------------------------------------------------------------

    def _call(self, action: str, fields: dict, timeout: float, listing: bool,
              action_id: str | None = None) -> Reply:
        if self._sock is None or self.closed.ready():
            raise AmiUnavailable("not connected to Asterisk")
        action_id = action_id or f"{self._prefix}-{next(self._ids)}"
        pending = self._pending[action_id] = _Pending(listing)
        try:
            self._sock.sendall(encode([("Action", action), ("ActionID", action_id),
                                       *fields.items()]))
            with eventlet.Timeout(timeout, AmiUnavailable(f"{action}: no answer in {timeout} s")):
                pending.done.wait()
        except OSError as exc:
            raise AmiUnavailable(f"{action}: {exc}") from exc
        finally:
            self._pending.pop(action_id, None)
        if pending.response is None:
            raise AmiUnavailable(f"{action}: the connection closed before the answer")
        if pending.response.response.lower() == "error":
            raise AmiError(pending.response.get("Message") or f"{action} refused")
        return Reply(pending.response, pending.items)

    def _read(self, reader: MessageReader) -> None:
        error: BaseException | None = None
        try:
            for message in reader.messages():
                self._route(message)
        except (OSError, AmiProtocolError) as exc:
            error = exc
        finally:
            with contextlib.suppress(OSError):
                self._sock.close()
            for pending in list(self._pending.values()):
                if not pending.done.ready():
                    pending.done.send(None)
            self.closed.send(error)
            if self.on_close is not None:
                self.on_close(error)

    def _route(self, message: Message) -> None:
        """A response (no ``Event`` header) answers its action; an event with the ActionID
        of a list action belongs to that list; every other event (``OriginateResponse``
        carries both ``Event`` and ``Response``, and its action's ActionID) is delivered."""
        pending = self._pending.get(message.action_id) if message.action_id else None
        if pending is None or (message.event and not pending.listing):
            if message.event:
                self._deliver(message)
            return
        if not message.event:
            pending.response = message
            listing = message.get("EventList").lower() == "start"
            if not (pending.listing and listing) and not pending.done.ready():
                pending.done.send(None)
            return
        if message.get("EventList").lower() == "complete":
            if not pending.done.ready():
                pending.done.send(None)
            return
        pending.items.append(message)

    def _deliver(self, message: Message) -> None:
        try:
            self.on_event(message)
        except Exception:  # one bad handler must not stop the reader
            _log.exception("AMI event handler failed for %s", message.event)
