"""The Asterisk Manager Interface wire format (AMI, manager.c), shared by the client and the
simulator.

After the banner line ``Asterisk Call Manager/<version>\\r\\n`` both sides exchange messages:
``Key: value`` lines ending in CRLF, the message ending in a blank line. A key may repeat
(``Variable``, ``ChanVariable``). Keys are case-insensitive to Asterisk (``astman_get_header``
compares with ``strcasecmp``); values keep their case.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable, Iterator

EOL = b"\r\n"
BANNER_PREFIX = "Asterisk Call Manager/"
MAX_LINE_BYTES = 8192
MAX_HEADERS = 512


class AmiProtocolError(ConnectionError):
    """The peer broke the framing (no banner, an oversized line, a message cut off)."""


class Message:
    """One AMI message: ordered ``(key, value)`` pairs, looked up without regard to case."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs = list(pairs)

    def get(self, key: str, default: str = "") -> str:
        wanted = key.lower()
        for name, value in self.pairs:
            if name.lower() == wanted:
                return value
        return default

    def all(self, key: str) -> list[str]:
        wanted = key.lower()
        return [value for name, value in self.pairs if name.lower() == wanted]

    def has(self, key: str) -> bool:
        wanted = key.lower()
        return any(name.lower() == wanted for name, _ in self.pairs)

    @property
    def event(self) -> str:
        return self.get("Event")

    @property
    def response(self) -> str:
        return self.get("Response")

    @property
    def action_id(self) -> str:
        return self.get("ActionID")

    def variables(self) -> dict[str, str]:
        """``ChanVariable: NAME=value`` headers (manager.conf ``channelvars``) as a dict."""
        found = {}
        for item in self.all("ChanVariable"):
            name, _, value = item.partition("=")
            found[name.strip()] = value
        return found

    def __repr__(self) -> str:
        return f"Message({self.pairs!r})"


def encode(pairs: Iterable[tuple[str, object]]) -> bytes:
    """One message on the wire. A CR or LF inside a key or value would let it smuggle headers
    or whole actions into the stream: refused."""
    lines = []
    for key, value in pairs:
        text = "" if value is None else str(value)
        if any(c in key or c in text for c in "\r\n") or ":" in key or not key:
            raise ValueError(f"AMI header {key!r} cannot carry line breaks or be empty")
        lines.append(f"{key}: {text}".encode())
    return EOL.join(lines) + EOL + EOL


def parse_line(raw: bytes) -> tuple[str, str] | None:
    """A header line (CRLF or LF stripped) as ``(key, value)``; None for a line without ``:``."""
    text = raw.decode("utf-8", "replace")
    key, sep, value = text.partition(":")
    if not sep:
        return None
    return key.strip(), value.strip()


class MessageReader:
    """Reads the banner and then whole messages from a (green or blocking) socket."""

    def __init__(self, sock: socket.socket, max_line: int = MAX_LINE_BYTES) -> None:
        self.sock = sock
        self.max_line = max_line
        self._buffer = b""

    def _line(self) -> bytes | None:
        """One line without its ending; None at a clean end of stream."""
        while True:
            end = self._buffer.find(b"\n")
            if end >= 0:
                line, self._buffer = self._buffer[:end], self._buffer[end + 1:]
                return line.rstrip(b"\r")
            if len(self._buffer) > self.max_line:
                raise AmiProtocolError(f"a line longer than {self.max_line} bytes")
            chunk = self.sock.recv(4096)
            if not chunk:
                if self._buffer:
                    raise AmiProtocolError("the connection closed in the middle of a line")
                return None
            self._buffer += chunk

    def banner(self) -> str:
        """The version from ``Asterisk Call Manager/<version>``; anything else is refused."""
        line = self._line()
        text = (line or b"").decode("utf-8", "replace")
        if not text.startswith(BANNER_PREFIX):
            raise AmiProtocolError(f"not an AMI banner: {text[:80]!r}")
        return text[len(BANNER_PREFIX):].strip()

    def message(self) -> Message | None:
        """The next message; None at a clean end of stream between messages; a stream cut in
        the middle of a message raises :class:`AmiProtocolError`."""
        pairs: list[tuple[str, str]] = []
        while True:
            line = self._line()
            if line is None:
                if pairs:
                    raise AmiProtocolError("the connection closed in the middle of a message")
                return None
            if not line:
                if pairs:
                    return Message(pairs)
                continue  # blank lines between messages
            pair = parse_line(line)
            if pair is not None:
                pairs.append(pair)
            if len(pairs) > MAX_HEADERS:
                raise AmiProtocolError(f"a message with more than {MAX_HEADERS} headers")

    def messages(self) -> Iterator[Message]:
        while (message := self.message()) is not None:
            yield message
