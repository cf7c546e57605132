"""The command layer: one FastAGI session's socket, spoken through pyst2's ``AGI`` methods.

pyst2 supplies the high-level commands; its faults are overridden here: no SIGHUP handler, no
stderr chatter, no stdin; every argument quoted; replies parsed by :func:`parse_response`, so a
``HANGUP`` line or EOF raises :class:`AgiHangup` instead of ``ValueError``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, fields

from asterisk.agi import AGI

from svckit.agi import metrics
from svckit.agi.protocol import (
    AgiCommandTooLong,
    AgiException,
    AgiHangup,
    AgiProtocolError,
    AgiResponse,
    AgiTimeout,
    QuotedArg,
    build_command,
    env_args,
    parse_response,
    query_of,
    quote_arg,
    response_to_pyst,
    script_of,
)

_log = logging.getLogger(__name__)

#: Asterisk reads a command with ``fgets`` into a 2048-byte buffer: 2047 bytes, newline included.
ASTERISK_COMMAND_BYTES = 2047


@dataclass(frozen=True)
class AgiLimits:
    """Per-session bounds (config key ``FASTAGI_LIMITS``)."""

    max_line_bytes: int = 16384
    max_env_lines: int = 128
    env_timeout_seconds: float = 5.0
    command_timeout_seconds: float = 60.0
    max_command_bytes: int = ASTERISK_COMMAND_BYTES
    hangup_drain_seconds: float = 0.2
    stop_drain_seconds: float = 30.0  # on a graceful stop, sessions in progress get this long

    @classmethod
    def from_config(cls, raw: Mapping[str, object] | None) -> AgiLimits:
        """Build from a config dict; unknown keys and non-positive values raise ValueError."""
        raw = dict(raw or {})
        known = {f.name: f.type for f in fields(cls)}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            raise ValueError(f"unknown FASTAGI_LIMITS keys: {', '.join(unknown)}")
        values: dict[str, float | int] = {}
        for name, value in raw.items():
            number = int(value) if known[name] == "int" else float(value)  # type: ignore[arg-type]
            if number <= 0:
                raise ValueError(f"FASTAGI_LIMITS[{name!r}] must be positive, got {value!r}")
            values[name] = number
        return cls(**values)  # type: ignore[arg-type]


class LineTooLong(AgiProtocolError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"line longer than {limit} bytes", "oversize_line")


class LineReader:
    """Buffered, bounded line reads from a (green) socket, each with its own deadline."""

    def __init__(self, sock: socket.socket, max_line_bytes: int) -> None:
        self._sock = sock
        self._buf = bytearray()
        self._scanned = 0
        self._eof = False
        self.max_line_bytes = max_line_bytes

    def _take_line(self) -> str | None:
        index = self._buf.find(b"\n", self._scanned)
        if index < 0:
            self._scanned = len(self._buf)
            if len(self._buf) > self.max_line_bytes + 1:  # room for a CR
                raise LineTooLong(self.max_line_bytes)
            return None
        raw = bytes(self._buf[:index])
        del self._buf[: index + 1]
        self._scanned = 0
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        if len(raw) > self.max_line_bytes:
            raise LineTooLong(self.max_line_bytes)
        return raw.decode("utf-8", errors="replace")

    def _fill(self, timeout: float) -> None:
        self._sock.settimeout(max(timeout, 0.001))
        try:
            chunk = self._sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            chunk = b""
        if chunk:
            self._buf += chunk
        else:
            self._eof = True

    def readline(self, timeout: float) -> str | None:
        """One line without its CR/LF, decoded with replacement; None at EOF.

        Raises LineTooLong, or ``socket.timeout`` when no full line came within ``timeout``.
        A partial last line before EOF is returned as a line.
        """
        deadline = time.monotonic() + timeout
        while True:
            line = self._take_line()
            if line is not None:
                return line
            if self._eof:
                if not self._buf:
                    return None
                rest = bytes(self._buf).removesuffix(b"\r")
                self._buf.clear()
                return rest.decode("utf-8", errors="replace")
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("timed out waiting for a line")
            self._fill(remaining)

    def poll(self) -> None:
        """Pull in bytes that have already arrived, without waiting."""
        if self._eof:
            return
        self._sock.settimeout(0)
        try:
            chunk = self._sock.recv(65536)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            chunk = b""
        if chunk:
            self._buf += chunk
        else:
            self._eof = True

    def buffered_lines(self) -> list[str]:
        """Complete lines already received (never blocks)."""
        lines = []
        while (line := self._take_line()) is not None:
            lines.append(line)
        return lines

    def data_arrives(self, timeout: float) -> bool:
        """True when more bytes are buffered or arrive within ``timeout`` seconds."""
        if self._buf:
            return True
        if self._eof:
            return False
        try:
            self._fill(timeout)
        except TimeoutError:
            return False
        return bool(self._buf)


@dataclass(frozen=True)
class GetDataResult:
    """What ``GET DATA`` collected: the digits, and whether input ended by timing out."""

    digits: str
    timed_out: bool


class AgiChannel(AGI):
    """One FastAGI session. Methods raise AgiHangup when the caller is gone.

    Construct with the parsed environment and the connected socket (or a reader/writer
    pair); the server does this before handing the channel to the service method.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        sock: socket.socket,
        limits: AgiLimits | None = None,
        reader: LineReader | None = None,
    ) -> None:
        # Deliberately not calling AGI.__init__: it installs a SIGHUP handler, writes to
        # stderr and reads the environment from stdin.
        self.limits = limits or AgiLimits()
        self.env = dict(env)
        self.sock = sock
        self.reader = reader or LineReader(sock, self.limits.max_line_bytes)
        self.stdin = self.stdout = self.stderr = None
        self._got_sighup = False
        self.hung_up = False
        self.last_response: AgiResponse | None = None
        self.commands_sent = 0
        self.closed = False

    # -- environment ----------------------------------------------------------------------------

    @property
    def uniqueid(self) -> str:
        return self.env.get("agi_uniqueid", "")

    @property
    def channel_name(self) -> str:
        return self.env.get("agi_channel", "")

    @property
    def caller_id_num(self) -> str:
        return self.env.get("agi_callerid", "")

    @property
    def caller_id_name(self) -> str:
        return self.env.get("agi_calleridname", "")

    @property
    def dnid(self) -> str:
        return self.env.get("agi_dnid", "")

    @property
    def script(self) -> str:
        return script_of(self.env)

    @property
    def query(self) -> dict[str, str]:
        return query_of(self.env)

    @property
    def args(self) -> list[str]:
        return env_args(self.env)

    # -- wire -----------------------------------------------------------------------------------

    def _quote(self, string: object) -> QuotedArg:
        """pyst2 quotes some arguments itself; a QuotedArg is not quoted twice."""
        return quote_arg(string)

    def _check_unsolicited(self) -> None:
        """Before a command: Asterisk sends nothing unasked but ``HANGUP``; drop anything else.

        A ``HANGUP`` raises AgiHangup without sending the command; it is consumed, so a
        handler that catches it can still send dead-channel commands (SET VARIABLE ...).
        """
        self.reader.poll()
        hangup = False
        for line in self.reader.buffered_lines():
            if line.strip() == "HANGUP":
                hangup = True
                continue
            metrics.count_protocol_error("unsolicited_data")
            _log.warning("AGI %s: dropped an unsolicited line", self.uniqueid[:64])
        if hangup:
            self.hung_up = True
            raise AgiHangup("Asterisk sent HANGUP", "hangup_line")

    def send_command(self, command: str, *args: object) -> None:
        """Write one command line; every argument is quoted for res_agi."""
        try:
            line = build_command(command, args, self.limits.max_command_bytes)
        except AgiCommandTooLong:
            metrics.count_protocol_error("command_too_long")
            raise
        self._check_unsolicited()
        self.sock.settimeout(self.limits.command_timeout_seconds)
        try:
            self.sock.sendall(line)
        except TimeoutError as exc:
            metrics.count_protocol_error("response_timeout")
            raise AgiTimeout("timed out writing a command", "response_timeout") from exc
        except OSError as exc:
            self.hung_up = True
            raise AgiHangup(f"connection lost while writing: {exc}", "eof") from exc
        self.commands_sent += 1

    def _reply_lines(self, deadline: float) -> Iterator[str]:
        while True:
            try:
                line = self.reader.readline(deadline - time.monotonic())
            except TimeoutError as exc:
                raise AgiTimeout("no reply from Asterisk in time", "response_timeout") from exc
            if line is None:
                return
            yield line

    def read_response(self) -> AgiResponse:
        """Read one reply (AgiResponse), raising as :func:`parse_response` does."""
        deadline = time.monotonic() + self.limits.command_timeout_seconds
        try:
            response = parse_response(self._reply_lines(deadline))
        except AgiHangup as exc:
            self.hung_up = True
            if exc.reason == "hangup_line":
                exc.response = self._drain_after_hangup()
            raise
        except AgiProtocolError as exc:
            metrics.count_protocol_error(exc.kind)
            raise
        self.last_response = response
        return response

    def _drain_after_hangup(self) -> AgiResponse | None:
        """After ``HANGUP``, the pending command's own reply may still follow: consume it."""
        if not self.reader.data_arrives(self.limits.hangup_drain_seconds):
            return None
        deadline = time.monotonic() + self.limits.hangup_drain_seconds
        try:
            return parse_response(self._reply_lines(deadline))
        except AgiHangup as exc:
            return exc.response
        except AgiException:  # a 510/520/garbage reply to a command on a dead channel
            return None

    def get_result(self, stdin: object = None) -> dict[str, tuple[str, str]]:
        """pyst2's result shape, from :meth:`read_response`."""
        return response_to_pyst(self.read_response())

    def execute(self, command: str, *args: object) -> dict[str, tuple[str, str]]:
        self.send_command(command, *args)
        return self.get_result()

    def close(self) -> None:
        """Close the socket (idempotent)."""
        if self.closed:
            return
        self.closed = True
        with contextlib.suppress(OSError):
            self.sock.close()

    # -- commands -------------------------------------------------------------------------------

    def answer(self) -> None:
        self.execute("ANSWER")

    def stream_file(self, name: str, escape_digits: str = "", sample_offset: int = 0) -> str:
        """Play ``name``; the escape digit pressed, or ``""``."""
        return super().stream_file(name, escape_digits, sample_offset)

    def get_data(self, prompt: str, timeout_ms: int = 5000, max_digits: int = 255) -> GetDataResult:
        """Play ``prompt`` and collect up to ``max_digits`` DTMF digits."""
        self.execute("GET DATA", prompt, int(timeout_ms), int(max_digits))
        response = self.last_response
        assert response is not None
        return GetDataResult(response.result or "", response.timed_out)

    def set_variable(self, name: str, value: object) -> None:
        self.execute("SET VARIABLE", self._quote(name), self._quote(value))

    def get_variable(self, name: str) -> str:
        """The variable's value, or ``""`` when it is not set."""
        self.execute("GET VARIABLE", self._quote(name))
        response = self.last_response
        return response.data if response and response.result == "1" else ""

    def verbose(self, message: str, level: int = 1) -> None:
        self.execute("VERBOSE", self._quote(message), level)

    def hangup(self, channel: str = "") -> None:
        """Hang up this channel (or the named one)."""
        if channel:
            self.execute("HANGUP", channel)
        else:
            self.execute("HANGUP")
