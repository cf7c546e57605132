"""The FastAGI wire format as Asterisk's res_agi speaks it: pure functions, no I/O.

* The environment block: ``agi_key: value`` lines ended by a blank line.
* Replies: ``200 result=N [(data)] [key=value ...]``, ``100 Trying...`` (skipped), ``510``,
  ``511``, the multi-line ``520-`` usage block, a bare ``HANGUP`` line, and EOF.
* Commands: every argument double-quoted so res_agi's parser gives back exactly the value.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

# -- errors -------------------------------------------------------------------------------------


class AgiException(Exception):
    """Base of everything this package raises about a session."""


class AgiHangup(AgiException):
    """The channel is gone: ``HANGUP`` line, EOF, ``result=-1`` or ``511``.

    A normal end of a call, not an error. ``reason`` is one of ``hangup_line``, ``eof``,
    ``result`` (``result=-1``: hang-up or channel failure) or ``dead_channel`` (511).
    """

    def __init__(self, message: str, reason: str, response: AgiResponse | None = None) -> None:
        super().__init__(message)
        self.reason = reason
        self.response = response


class AgiError(AgiException):
    """A command failed or the peer broke the protocol."""


class AgiCommandError(AgiError):
    """``510 Invalid or unknown command``."""


class AgiUsageError(AgiError):
    """``520``: invalid command syntax; ``usage`` holds the text Asterisk sent."""

    def __init__(self, usage: str) -> None:
        super().__init__(usage.splitlines()[0] if usage else "invalid command syntax")
        self.usage = usage


class AgiProtocolError(AgiError):
    """The peer sent something FastAGI does not allow; ``kind`` is a metrics label."""

    def __init__(self, message: str, kind: str) -> None:
        super().__init__(message)
        self.kind = kind


class AgiTimeout(AgiProtocolError):
    """No complete environment block or reply in time."""


class AgiCommandTooLong(AgiError):
    """The encoded command would not fit Asterisk's command buffer (it would be split)."""


# -- environment block --------------------------------------------------------------------------

ENV_KEY_ARG = re.compile(r"agi_arg_(\d+)")


def parse_env_line(line: str) -> tuple[str, str] | None:
    """``"agi_key: value"`` -> ``("agi_key", "value")``; None for a line without a key.

    Splits on the first colon only; drops the single space Asterisk writes after it, so
    leading/trailing spaces inside the value survive. A trailing CR is dropped.
    """
    line = line.removesuffix("\n").removesuffix("\r")
    key, sep, value = line.partition(":")
    key = key.strip()
    if not sep or not key:
        return None
    return key, value.removeprefix(" ")


def read_env_block(lines: Iterable[str], max_env_lines: int = 128) -> dict[str, str]:
    """Consume lines up to the blank line that ends the block; return the env dict.

    The first occurrence of a key wins: a value with an embedded newline cannot override
    ``agi_network_script`` (which Asterisk sends first). Lines without a key are ignored.
    Raises AgiProtocolError (kind ``too_many_env_lines`` / ``env_incomplete``).
    """
    env: dict[str, str] = {}
    for count, line in enumerate(lines, start=1):
        if not line.strip():
            return env
        if count > max_env_lines:
            raise AgiProtocolError(
                f"environment longer than {max_env_lines} lines", "too_many_env_lines"
            )
        parsed = parse_env_line(line)
        if parsed is not None:
            env.setdefault(*parsed)
    raise AgiProtocolError("connection closed inside the environment block", "env_incomplete")


def env_args(env: Mapping[str, str]) -> list[str]:
    """``agi_arg_1..N`` in numeric order."""
    numbered = []
    for key, value in env.items():
        match = ENV_KEY_ARG.fullmatch(key)
        if match:
            numbered.append((int(match.group(1)), value))
    return [value for _, value in sorted(numbered)]


def _split_script(raw: str) -> tuple[str, str]:
    path, _, query = raw.partition("?")
    return path.strip("/"), query


def script_of(env: Mapping[str, str]) -> str:
    """The dispatch key: ``agi_network_script`` or the path of ``agi_request``, no query."""
    if env.get("agi_network_script"):
        return _split_script(env["agi_network_script"])[0]
    request = env.get("agi_request", "")
    if "://" in request:
        return urlsplit(request).path.strip("/")
    return _split_script(request)[0]


def query_of(env: Mapping[str, str]) -> dict[str, str]:
    """Query parameters of the script URL (``agi://host/95598?lang=zh`` -> ``{"lang": "zh"}``)."""
    raw = env.get("agi_network_script") or env.get("agi_request", "")
    query = urlsplit(raw).query if "://" in raw else _split_script(raw)[1]
    return dict(parse_qsl(query, keep_blank_values=True))


# -- replies ------------------------------------------------------------------------------------

_CODE_LINE = re.compile(r"(\d{3})([ -])(.*)", re.DOTALL)
_RESULT = re.compile(r"result=(\S*)(.*)", re.DOTALL)
_KV = r"""\w+=(?:"(?:[^"\\]|\\.)*"|\S*)"""
_KV_TAIL = re.compile(rf"(?:\s+{_KV})*\s*")
_KV_ITEM = re.compile(r"(\w+)=(\"(?:[^\"\\]|\\.)*\"|\S*)")


@dataclass(frozen=True)
class AgiResponse:
    """One final reply line: ``200 result=1 (speech) endpos=1234 results=1``."""

    code: int
    result: str | None
    data: str = ""
    extras: dict[str, str] = field(default_factory=dict)
    raw: str = ""

    @property
    def timed_out(self) -> bool:
        return self.data == "timeout"


def _split_data(rest: str) -> tuple[str, dict[str, str]]:
    """``" (a) b) endpos=3"`` -> ``("a) b", {"endpos": "3"})``.

    The data runs to the last ``)`` that is followed only by ``key=value`` items, so a
    variable value containing parentheses comes back whole.
    """
    stripped = rest.lstrip()
    if stripped.startswith("("):
        end = len(stripped)
        while (end := stripped.rfind(")", 0, end)) > 0:
            tail = stripped[end + 1 :]
            if _KV_TAIL.fullmatch(tail):
                return stripped[1:end], dict(_KV_ITEM.findall(tail))
    extras = dict(_KV_ITEM.findall(stripped))
    leftover = " ".join(tok for tok in stripped.split() if not _KV_ITEM.fullmatch(tok))
    return leftover, extras


def parse_result_line(line: str) -> AgiResponse:
    """Parse one ``200 ...`` line (no side effects, no hang-up mapping)."""
    match = _CODE_LINE.fullmatch(line)
    if not match or match.group(1) != "200":
        raise AgiProtocolError(f"not a 200 reply: {line[:80]!r}", "bad_response")
    result = _RESULT.match(match.group(3))
    if not result:
        raise AgiProtocolError(f"200 reply without result=: {line[:80]!r}", "bad_response")
    data, extras = _split_data(result.group(2))
    return AgiResponse(200, result.group(1), data, extras, line)


def _read_usage(first: str, lines: Iterator[str]) -> str:
    usage = [first[4:]]
    for line in lines:
        if line.startswith("520 "):
            usage.append(line[4:])
            return "\n".join(usage)
        usage.append(line)
    raise AgiHangup("connection closed inside a 520 usage block", "eof")


def parse_response(lines: Iterable[str]) -> AgiResponse:
    """Read one reply from ``lines`` (line ends already stripped; exhaustion means EOF).

    Skips ``100`` lines. Returns the 200 reply, or raises: AgiHangup (``HANGUP``, EOF,
    ``result=-1``, 511), AgiCommandError (510), AgiUsageError (520), AgiProtocolError.
    """
    it = iter(lines)
    for line in it:
        if line.strip() == "HANGUP":
            raise AgiHangup("Asterisk sent HANGUP", "hangup_line")
        match = _CODE_LINE.fullmatch(line)
        if not match:
            raise AgiProtocolError(f"unparseable reply: {line[:80]!r}", "bad_response")
        code, sep, text = int(match.group(1)), match.group(2), match.group(3)
        if code == 100:
            continue
        if code == 200:
            response = parse_result_line(line)
            if response.result == "-1":
                raise AgiHangup("result=-1: hang-up or channel failure", "result", response)
            return response
        if code == 510:
            raise AgiCommandError(text)
        if code == 511:
            raise AgiHangup(text, "dead_channel")
        if code == 520:
            raise AgiUsageError(_read_usage(line, it) if sep == "-" else text)
        raise AgiProtocolError(f"unexpected reply code {code}", "bad_response")
    raise AgiHangup("connection closed while waiting for a reply", "eof")


def response_to_pyst(response: AgiResponse) -> dict[str, tuple[str, str]]:
    """pyst2's result dict shape: ``{"result": (value, data), "endpos": (value, "")}``."""
    result = {"result": (response.result or "", response.data)}
    result.update({key: (value, "") for key, value in response.extras.items()})
    return result


# -- commands -----------------------------------------------------------------------------------

_COMMAND_WORDS = re.compile(r"[A-Za-z]+(?: [A-Za-z]+)*")
_STRIPPED = str.maketrans("", "", "\r\n\x00")


class QuotedArg(str):
    """An argument already quoted by :func:`quote_arg`; :func:`build_command` keeps it as is."""


def quote_arg(value: object) -> QuotedArg:
    """Double-quote one argument for res_agi: escape ``\\`` and ``"``, drop CR, LF and NUL.

    res_agi splits on spaces and tabs outside quotes, honours ``\\`` escapes, ends the
    command at a newline and the C string at NUL; inside these quotes nothing else is special.
    """
    if isinstance(value, QuotedArg):
        return value
    text = str(value).translate(_STRIPPED).replace("\\", "\\\\").replace('"', '\\"')
    return QuotedArg(f'"{text}"')


def build_command(command: str, args: Iterable[object], max_bytes: int) -> bytes:
    """``("SET VARIABLE", ["X", 'a "b"'])`` -> ``b'SET VARIABLE "X" "a \\"b\\""\\n'``.

    Raises ValueError for a malformed command word, AgiCommandTooLong when the line
    (newline included) exceeds ``max_bytes`` (Asterisk reads 2047 bytes and would run the
    rest of the line as another command).
    """
    command = " ".join(command.split())
    if not _COMMAND_WORDS.fullmatch(command):
        raise ValueError(f"not an AGI command name: {command!r}")
    parts = [command, *(quote_arg(arg) for arg in args)]
    line = (" ".join(parts) + "\n").encode("utf-8", errors="replace")
    if len(line) > max_bytes:
        raise AgiCommandTooLong(
            f"{command} command is {len(line)} bytes; Asterisk accepts {max_bytes}"
        )
    return line
