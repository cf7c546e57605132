"""A FastAGI server for nameko, shaped like nameko's http entrypoint (nameko/web/server.py).

``FastAgiServer`` is a SharedExtension: one listening socket per container, an accept loop in a
managed thread, one managed thread per connection that reads the environment block and hands
the session to the ``FastAgiEntrypoint`` registered for the script path. Each session runs as a
nameko worker; its socket is closed when the worker ends, whatever happened.

A graceful stop closes the listening socket first, the moment the container stops its
entrypoints: Asterisk's next connection is refused at once and its dialplan reaches another
instance or the fallback, instead of being accepted and hung up with "unknown script". The
sessions in progress then have ``stop_drain_seconds`` to finish; any still running are hung up
(their handlers see the hang-up and record the call as usual), so a stop is bounded.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import re
import socket
import time
from collections.abc import Iterator
from functools import partial
from typing import NamedTuple

import eventlet
from eventlet.event import Event
from nameko.exceptions import ConfigurationError, ContainerBeingKilled
from nameko.extensions import Entrypoint, ProviderCollector, SharedExtension

from svckit.agi import metrics
from svckit.agi.channel import AgiChannel, AgiLimits, LineReader
from svckit.agi.protocol import (
    AgiException,
    AgiHangup,
    AgiProtocolError,
    AgiTimeout,
    read_env_block,
    script_of,
)

_log = logging.getLogger(__name__)

ADDRESS_CONFIG_KEY = "FASTAGI_ADDRESS"
LIMITS_CONFIG_KEY = "FASTAGI_LIMITS"
DEFAULT_ADDRESS = "127.0.0.1:4573"


class BindAddress(NamedTuple):
    address: str
    port: int


def parse_address(text: str) -> BindAddress:
    """``"[address:]port"`` as nameko's WEB_SERVER_ADDRESS; port 0 picks a free port."""
    match = re.fullmatch(r"((?P<address>[^:]+|\[[^\]]+\]):)?(?P<port>\d+)", text.strip())
    if match is None:
        raise ConfigurationError(f"Misconfigured {ADDRESS_CONFIG_KEY} `{text}`: use [address:]port")
    address = (match.group("address") or "").strip("[]")
    return BindAddress(address, int(match.group("port")))


class _Session:
    """Book-keeping for one connection: ends exactly once (metrics, log, close)."""

    def __init__(self, sock: socket.socket, peer: object) -> None:
        self.sock = sock
        self.peer = peer
        self.started = time.monotonic()
        self.channel: AgiChannel | None = None
        self.dispatched = False
        self.outcome: str | None = None
        metrics.SESSIONS_IN_PROGRESS.inc()

    def hang_up(self) -> None:
        """End the session from our side: the handler's next read or write fails as a
        hang-up, and the session finishes through it."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)

    def finish(self, outcome: str) -> None:
        if self.outcome is not None:
            return
        self.outcome = outcome
        metrics.count_session(outcome)
        if self.dispatched:
            metrics.SESSION_DURATION.observe(time.monotonic() - self.started)
        metrics.SESSIONS_IN_PROGRESS.dec()
        if self.channel is not None:
            self.channel.close()
        else:
            _close(self.sock)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.close()


class _QuietAgiWorkerErrors(logging.Filter):
    """Drop nameko's ``error handling worker`` tracebacks for FastAGI workers.

    A FastAGI session ends on every hang-up; the entrypoint logs each outcome itself in one
    line (traceback at DEBUG), so the container's ERROR + stack per call would only be noise.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if not isinstance(args, tuple) or not args or "handling worker" not in str(record.msg):
            return True
        return not isinstance(getattr(args[0], "entrypoint", None), FastAgiEntrypoint)


_QUIET_FILTER = _QuietAgiWorkerErrors()


def _install_log_filter() -> None:
    container_log = logging.getLogger("nameko.containers")
    if not any(isinstance(f, _QuietAgiWorkerErrors) for f in container_log.filters):
        container_log.addFilter(_QUIET_FILTER)


class FastAgiServer(ProviderCollector, SharedExtension):
    """Listens on ``FASTAGI_ADDRESS`` and dispatches sessions by script path."""

    backlog = 1024

    def __init__(self) -> None:
        super().__init__()
        self._gt = None
        self._sock: socket.socket | None = None
        self._starting = False
        self._is_accepting = True
        self._sessions: set[_Session] = set()
        self.limits = AgiLimits()

    # -- configuration --------------------------------------------------------------------------

    @property
    def bind_addr(self) -> BindAddress:
        return parse_address(str(self.container.config.get(ADDRESS_CONFIG_KEY, DEFAULT_ADDRESS)))

    @property
    def address(self) -> tuple[str, int] | None:
        """The bound (host, port) once listening, else None (nameko introspects properties)."""
        return None if self._sock is None else self._sock.getsockname()[:2]

    @property
    def port(self) -> int | None:
        """The bound port (useful with port 0), or None before start."""
        address = self.address
        return None if address is None else address[1]

    def setup(self) -> None:
        try:
            self.limits = AgiLimits.from_config(self.container.config.get(LIMITS_CONFIG_KEY))
        except (TypeError, ValueError) as exc:
            raise ConfigurationError(f"{LIMITS_CONFIG_KEY}: {exc}") from exc
        _install_log_filter()

    def register_provider(self, provider: FastAgiEntrypoint) -> None:
        for other in self._providers:
            if other.script == provider.script:
                raise ConfigurationError(
                    f"FastAGI script {provider.script!r} is served by two entrypoints: "
                    f"{other.method_name} and {provider.method_name}"
                )
        super().register_provider(provider)

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        if not self._starting:
            self._starting = True
            bind = self.bind_addr
            family = socket.AF_INET6 if ":" in bind.address else socket.AF_INET
            self._sock = eventlet.listen(bind, family=family, backlog=self.backlog)
            self._sock.settimeout(None)
            self._gt = self.container.spawn_managed_thread(self.run, identifier="fastagi.accept")
            _log.info("FastAGI listening on %s:%s", *self.address)

    def unregister_provider(self, provider: FastAgiEntrypoint) -> None:
        super().unregister_provider(provider)
        if not self._providers and self._is_accepting:  # stopping: refuse new calls, drain
            self._stop_listening()
            self.container.spawn_managed_thread(self._drain, identifier="fastagi.drain")

    def _stop_listening(self) -> None:
        self._is_accepting = False
        if self._gt is not None:
            self._gt.kill()
        if self._sock is not None:
            _close(self._sock)

    def _drain(self) -> None:
        deadline = time.monotonic() + self.limits.stop_drain_seconds
        while self._sessions and time.monotonic() < deadline:
            eventlet.sleep(0.05)
        if self._sessions:
            _log.warning("FastAGI stop: hanging up %d sessions still running after %.0f s",
                         len(self._sessions), self.limits.stop_drain_seconds)
        for session in list(self._sessions):
            session.hang_up()

    def stop(self) -> None:
        self._stop_listening()
        super().stop()

    def kill(self) -> None:
        self._stop_listening()

    def run(self) -> None:
        """The accept loop: never lets one bad connection stop the server."""
        while self._is_accepting:
            try:
                sock, peer = self._sock.accept()
            except OSError as exc:
                if not self._is_accepting:
                    return
                _log.warning("FastAGI accept failed: %s", exc)
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    eventlet.sleep(0.1)
                continue
            self.container.spawn_managed_thread(
                partial(self.serve_connection, sock, peer), identifier="fastagi.session"
            )

    # -- one connection -------------------------------------------------------------------------

    def serve_connection(self, sock: socket.socket, peer: object) -> None:
        """Run one session to its end; never raises (that would kill the container)."""
        session = _Session(sock, peer)
        self._sessions.add(session)
        try:
            self._serve(session)
        except Exception as exc:  # a bug here must not take the container down
            _log.warning("FastAGI session from %s failed: %r", peer, exc)
            _log.debug("FastAGI session failure", exc_info=True)
            session.finish("error")
        finally:  # a no-op unless the thread was killed (container stop/kill) mid-session
            self._sessions.discard(session)
            session.finish("error" if session.dispatched else "rejected")

    def _serve(self, session: _Session) -> None:
        sock = session.sock
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        reader = LineReader(sock, self.limits.max_line_bytes)
        env = self._read_env(session, reader)
        if env is None:
            return
        provider = self._provider_for(script_of(env))
        if provider is None:
            self._reject_unknown(session, env)
            return
        session.channel = AgiChannel(env, sock, self.limits, reader)
        done = Event()
        try:
            provider.handle_session(session, done)
        except ContainerBeingKilled:
            session.finish("rejected")
            return
        done.wait()

    def _read_env(self, session: _Session, reader: LineReader) -> dict[str, str] | None:
        deadline = time.monotonic() + self.limits.env_timeout_seconds

        def lines() -> Iterator[str]:
            while (line := reader.readline(deadline - time.monotonic())) is not None:
                yield line

        try:
            return read_env_block(lines(), self.limits.max_env_lines)
        except TimeoutError:
            kind, outcome = "env_timeout", "timeout"
        except AgiProtocolError as exc:
            kind, outcome = exc.kind, "rejected"
        except OSError:  # reset by the peer
            kind, outcome = "env_incomplete", "rejected"
        metrics.count_protocol_error(kind)
        _log.warning("FastAGI session from %s %s: %s", session.peer, outcome, kind)
        session.finish(outcome)
        return None

    def _provider_for(self, script: str) -> FastAgiEntrypoint | None:
        for provider in self._providers:
            if provider.script == script:
                return provider
        return None

    def _reject_unknown(self, session: _Session, env: dict[str, str]) -> None:
        metrics.count_protocol_error("unknown_script")
        _log.warning(
            "FastAGI session %s asked for unknown script %r",
            env.get("agi_uniqueid", "?")[:64],
            script_of(env)[:64],
        )
        session.sock.settimeout(1.0)
        try:
            session.sock.sendall(b"HANGUP\n")
            session.sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        session.finish("rejected")


def get_server(container) -> FastAgiServer:
    """The container's FastAgiServer (e.g. to read ``.port`` after binding port 0)."""
    for extension in container.subextensions:
        if isinstance(extension, FastAgiServer):
            return extension
    raise LookupError("container has no FastAGI entrypoint")


def _outcome_of(exc: BaseException | None, channel: AgiChannel) -> str:
    if exc is None:
        return "hangup" if channel.hung_up else "completed"
    if isinstance(exc, AgiHangup):
        return "hangup"
    if isinstance(exc, AgiTimeout):
        return "timeout"
    return "error"


class FastAgiEntrypoint(Entrypoint):
    """``@fastagi("95598")``: the decorated method gets the session's :class:`AgiChannel`."""

    server = FastAgiServer()

    def __init__(self, script: str, **kwargs) -> None:
        self.script = str(script).strip("/")
        super().__init__(**kwargs)

    def setup(self) -> None:
        self.server.register_provider(self)

    def stop(self) -> None:
        self.server.unregister_provider(self)
        super().stop()

    def handle_session(self, session: _Session, done: Event) -> None:
        session.dispatched = True
        self.container.spawn_worker(
            self,
            (session.channel,),
            {},
            handle_result=partial(self.handle_result, session, done),
        )

    def handle_result(self, session: _Session, done: Event, worker_ctx, result, exc_info):
        """Record the outcome and close the socket; a hang-up is not an error to nameko."""
        channel = session.channel
        exc = exc_info[1] if exc_info else None
        outcome = _outcome_of(exc, channel)
        self._log_outcome(channel, outcome, exc, exc_info)
        try:
            session.finish(outcome)
        finally:
            done.send(outcome)
        if isinstance(exc, AgiHangup):
            return result, None
        return result, exc_info

    def _log_outcome(self, channel: AgiChannel, outcome: str, exc, exc_info) -> None:
        ident = (channel.uniqueid[:64], self.script, self.method_name)
        if exc is None or isinstance(exc, AgiHangup):
            _log.debug("AGI %s (%s -> %s) %s", *ident, outcome)
        elif isinstance(exc, AgiException):
            _log.warning("AGI %s (%s -> %s) %s: %s", *ident, outcome, exc)
        else:
            _log.warning("AGI %s (%s -> %s) handler raised %s: %s", *ident, type(exc).__name__, exc)
            _log.debug("AGI handler traceback", exc_info=exc_info)


fastagi = FastAgiEntrypoint.decorator
