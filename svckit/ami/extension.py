"""The AMI connection as nameko extensions (shaped like svckit/agi/server.py).

``AmiConnection`` is a SharedExtension: one logged-in connection per container, opened by a
managed thread that reconnects with a growing backoff (svckit.outbox.backoff) whenever the line
drops. ``@ami_event("DeviceStateChange", ...)`` methods receive the events they name, one at a
time in the order Asterisk sent them (a device that rings then answers must not be seen
answering first). ``@ami_event(CONNECTED)`` runs after each login, first in that order, so a
service can rebuild what it missed (``QueueStatus``, ``CoreShowChannels``). ``Ami()`` injects
the actions (``send``, ``send_list``), which raise AmiUnavailable while the line is down.

Settings: ``AMI: {host, port, username, secret, connect_timeout, action_timeout}``; no host
means no connection (tests and installations without a PBX). The secret comes from the
environment (``${AMI_SECRET}``), never from the file.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial

import eventlet
from eventlet.event import Event
from eventlet.queue import Queue
from nameko.extensions import DependencyProvider, Entrypoint, ProviderCollector, SharedExtension
from prometheus_client import REGISTRY, Counter, Gauge

from svckit.ami.client import AmiClient, AmiError, AmiUnavailable, Reply
from svckit.ami.protocol import AmiProtocolError, Message
from svckit.outbox import backoff

_log = logging.getLogger(__name__)

CONFIG_KEY = "AMI"
CONNECTED = "(connected)"  # not an AMI event: after each successful login


def _existing(name: str):
    return REGISTRY._names_to_collectors.get(name)  # noqa: SLF001 - no public lookup exists


AMI_UP = _existing("csc_ami_connected") or Gauge(
    "csc_ami_connected", "1 while this process is logged in to Asterisk's manager interface.")
AMI_CONNECTS = _existing("csc_ami_connects_total") or Counter(
    "csc_ami_connects_total", "AMI connection attempts by result.", ["result"])


@dataclass(frozen=True)
class AmiSettings:
    host: str = ""
    port: int = 5038
    username: str = ""
    secret: str = ""
    connect_timeout: float = 5.0
    action_timeout: float = 5.0

    @classmethod
    def from_config(cls, section: object) -> AmiSettings:
        values = dict(section or {})
        return cls(host=str(values.get("host") or ""), port=int(values.get("port") or 5038),
                   username=str(values.get("username") or ""),
                   secret=str(values.get("secret") or ""),
                   connect_timeout=float(values.get("connect_timeout") or 5.0),
                   action_timeout=float(values.get("action_timeout") or 5.0))


class AmiConnection(ProviderCollector, SharedExtension):
    """One manager connection per container, kept up while the container runs."""

    def __init__(self) -> None:
        super().__init__()
        self.settings = AmiSettings()
        self.client: AmiClient | None = None
        self.logged_in = Event()
        self._running = False
        self._events: Queue = Queue()

    def setup(self) -> None:
        self.settings = AmiSettings.from_config(self.container.config.get(CONFIG_KEY))

    def start(self) -> None:
        if self._running or not self.settings.host:
            return
        self._running = True
        self._threads = [
            self.container.spawn_managed_thread(self._keep_connected, identifier="ami.connection"),
            self.container.spawn_managed_thread(self._dispatch, identifier="ami.dispatch")]

    def stop(self) -> None:
        self._close()
        super().stop()

    def kill(self) -> None:
        self._close()

    def _close(self) -> None:
        """Log off the line and end both threads (the dispatcher waits on an empty queue)."""
        self._running = False
        client = self.client
        if client is not None:
            client.close()
        for thread in getattr(self, "_threads", ()):
            thread.kill()
        self._threads = []

    def _wanted(self, name: str) -> list[AmiEventEntrypoint]:
        return [p for p in self._providers if name in p.events]

    # -- the connection -------------------------------------------------------------------------

    def _keep_connected(self) -> None:
        attempts = 0
        while self._running:
            client = AmiClient(self._on_event)
            try:
                client.connect(self.settings.host, self.settings.port,
                               self.settings.connect_timeout)
                client.login(self.settings.username, self.settings.secret,
                             self.settings.action_timeout)
            except (OSError, AmiProtocolError, AmiError, AmiUnavailable) as exc:
                attempts += 1
                AMI_CONNECTS.labels("failed").inc()
                client.close()
                wait = backoff(attempts).total_seconds()
                _log.warning("AMI %s:%s: %s; again in %.1f s", self.settings.host,
                             self.settings.port, exc, wait)
                eventlet.sleep(wait)
                continue
            attempts = 0
            AMI_CONNECTS.labels("ok").inc()
            self.client = client
            if not self.logged_in.ready():
                self.logged_in.send(True)
            AMI_UP.set(1)
            _log.info("AMI logged in to %s:%s (manager %s)", self.settings.host,
                      self.settings.port, client.version)
            self._events.put(Message([("Event", CONNECTED)]))
            client.closed.wait()
            AMI_UP.set(0)
            self.client = None
            self.logged_in = Event()
            if self._running:
                _log.warning("AMI connection lost; reconnecting")
                eventlet.sleep(backoff(1).total_seconds())

    def _on_event(self, message: Message) -> None:
        if self._wanted(message.event):
            self._events.put(message)

    def _dispatch(self) -> None:
        """One event at a time, in order: each waits for the workers of the one before."""
        while self._running:
            message = self._events.get()
            for provider in self._wanted(message.event):
                done = Event()
                provider.handle(message, done)
                done.wait()

    # -- actions --------------------------------------------------------------------------------

    def _client(self) -> AmiClient:
        client = self.client
        if client is None:
            raise AmiUnavailable("not logged in to Asterisk's manager interface")
        return client

    def send(self, action: str, action_id: str | None = None, **fields: object) -> Message:
        return self._client().send(action, timeout=self.settings.action_timeout,
                                   action_id=action_id, **fields)

    def send_list(self, action: str, **fields: object) -> Reply:
        return self._client().send_list(action, timeout=self.settings.action_timeout * 2,
                                        **fields)


class AmiEventEntrypoint(Entrypoint):
    """``@ami_event("AgentConnect", "AgentComplete")``: the method gets the event Message."""

    connection = AmiConnection()

    def __init__(self, *events: str, **kwargs) -> None:
        self.events = frozenset(events)
        super().__init__(**kwargs)

    def setup(self) -> None:
        self.connection.register_provider(self)

    def stop(self) -> None:
        self.connection.unregister_provider(self)
        super().stop()

    def handle(self, message: Message, done: Event) -> None:
        try:
            self.container.spawn_worker(self, (message,), {},
                                        handle_result=partial(self._finished, done))
        except Exception:  # the container is stopping
            done.send(None)

    def _finished(self, done: Event, worker_ctx, result, exc_info):
        done.send(None)
        return result, exc_info


class Ami(DependencyProvider):
    """Injects the container's AMI connection (``send``, ``send_list``)."""

    connection = AmiConnection()

    def get_dependency(self, worker_ctx) -> AmiConnection:
        return self.connection


ami_event = AmiEventEntrypoint.decorator
