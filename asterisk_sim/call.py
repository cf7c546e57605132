"""One simulated call: Asterisk's side of a FastAGI session over a plain blocking socket.

It sends the environment block the way res_agi does (``agi_network`` lines first, then
``agi_request`` ...), reads command lines the way res_agi does (a 2048-byte ``fgets`` buffer,
``parse_args`` quoting) and answers them as a live channel would, including caller hang-ups.
"""

from __future__ import annotations

import itertools
import random
import socket
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from asterisk_sim.agiparse import parse_args

#: One ``GET DATA`` answer: digits, None (timeout, nothing keyed), or (digits, timed_out).
DigitsAnswer = str | None | tuple[str, bool]

ASTERISK_LINE_BUFFER = 2048
DEAD_OK = {"EXEC", "GET FULL VARIABLE", "GET VARIABLE", "NOOP", "SET VARIABLE", "VERBOSE"}
USAGE = {
    "ANSWER": "Usage: ANSWER\n Answers channel if not already in answer state.",
    "STREAM FILE": (
        "Usage: STREAM FILE <filename> <escape_digits> [sample offset]\n"
        " Send the given file, allowing playback to be interrupted by the given digits."
    ),
    "GET DATA": (
        "Usage: GET DATA <file to be streamed> [timeout] [maxdigits]\n"
        " Stream the given file, and receive DTMF data."
    ),
    "SET VARIABLE": "Usage: SET VARIABLE <variablename> <value>",
    "GET VARIABLE": "Usage: GET VARIABLE <variablename>",
    "VERBOSE": "Usage: VERBOSE <message> <level>",
    "EXEC": "Usage: EXEC <application> <options>",
    "HANGUP": "Usage: HANGUP [<channelname>]",
    "WAIT FOR DIGIT": "Usage: WAIT FOR DIGIT <timeout>",
    "SAY DIGITS": "Usage: SAY DIGITS <number> <escape_digits>",
    "SET CONTEXT": "Usage: SET CONTEXT <desired context>",
    "SET EXTENSION": "Usage: SET EXTENSION <new extension>",
    "SET PRIORITY": "Usage: SET PRIORITY <priority>",
}
_COMMANDS = sorted(
    [*USAGE, "NOOP", "CHANNEL STATUS", "GET FULL VARIABLE"], key=lambda c: -len(c.split())
)
# Asterisk numbers channels from a counter; start where two simulator runs won't collide.
_sequence = itertools.count(random.SystemRandom().randrange(10**6))


@dataclass
class CommandRecord:
    """One command line as received, how res_agi split it, and the reply lines sent."""

    index: int
    line: str
    argv: list[str]
    name: str
    at: float
    replies: list[str] = field(default_factory=list)


@dataclass
class CallTranscript:
    """What happened on one call. Times are seconds since just before ``connect()``."""

    uniqueid: str
    channel: str
    script: str
    env_lines: list[str] = field(default_factory=list)
    commands: list[CommandRecord] = field(default_factory=list)
    variables: dict[str, str] = field(default_factory=dict)
    variable_times: dict[str, float] = field(default_factory=dict)
    ended: str = "open"
    connect_seconds: float = 0.0
    duration_seconds: float = 0.0
    split_lines: int = 0
    error: str | None = None

    @property
    def command_names(self) -> list[str]:
        return [record.name or record.line for record in self.commands]

    def latency_to(self, variable: str) -> float | None:
        """Seconds from connect to the first ``SET VARIABLE <variable>``."""
        return self.variable_times.get(variable)

    def format(self) -> str:
        """A readable transcript."""
        out = [f"call {self.uniqueid} on {self.channel} -> script {self.script!r}"]
        out += [f"  env  {line}" for line in self.env_lines]
        for record in self.commands:
            out.append(f"  {record.at * 1000:8.1f} ms  << {record.line}")
            out += [f"               >> {reply}" for reply in record.replies]
        out.append(f"  ended: {self.ended} after {self.duration_seconds * 1000:.1f} ms")
        if self.error:
            out.append(f"  error: {self.error}")
        out += [f"  {name}={value}" for name, value in self.variables.items()]
        return "\n".join(out)


def _encode(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode("utf-8")


def build_env(
    host: str,
    port: int,
    script: str,
    *,
    uniqueid: str,
    channel: str,
    caller_num: str | bytes,
    caller_name: str | bytes,
    dnid: str,
    args: Sequence[str | bytes] = (),
    network_lines: bool = True,
    extra_env: Mapping[str, str | bytes] | None = None,
) -> list[tuple[str, bytes]]:
    """The environment res_agi sends for ``AGI(agi://host:port/script,args...)``."""
    head = [("agi_network", b"yes"), ("agi_network_script", _encode(script))]
    env: list[tuple[str, bytes]] = head if network_lines else []
    body = {
        "agi_request": f"agi://{host}:{port}/{script}",
        "agi_channel": channel,
        "agi_language": "zh",
        "agi_type": channel.split("/", 1)[0],
        "agi_uniqueid": uniqueid,
        "agi_version": "20.10.0",
        "agi_callerid": caller_num,
        "agi_calleridname": caller_name,
        "agi_callingpres": "0",
        "agi_callingani2": "0",
        "agi_callington": "0",
        "agi_callingtns": "0",
        "agi_dnid": dnid,
        "agi_rdnis": "unknown",
        "agi_context": "from-trunk",
        "agi_extension": dnid,
        "agi_priority": "2",
        "agi_enhanced": "0.0",
        "agi_accountcode": "",
        "agi_threadid": "-1239529728",
    }
    body.update(extra_env or {})
    env += [(key, _encode(value)) for key, value in body.items()]
    env += [(f"agi_arg_{n}", _encode(arg)) for n, arg in enumerate(args, start=1)]
    return env


class _Lines:
    """Reads command lines like res_agi: ``fgets`` into a ``buffer``-byte buffer."""

    def __init__(self, sock: socket.socket, buffer: int | None) -> None:
        self.sock = sock
        self.buffer = buffer
        self.data = bytearray()

    def read(self) -> tuple[bytes, bool] | None:
        """(line without newline, was_split) or None at EOF; raises socket.timeout."""
        limit = None if self.buffer is None else self.buffer - 1
        while True:
            newline = self.data.find(b"\n")
            if newline >= 0 and (limit is None or newline + 1 <= limit):
                line = bytes(self.data[:newline])
                del self.data[: newline + 1]
                return line, False
            if limit is not None and len(self.data) >= limit:
                line = bytes(self.data[:limit])
                del self.data[:limit]
                return line, True
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.data += chunk


@dataclass
class _Caller:
    """The simulated channel: its state and the reply to each command."""

    transcript: CallTranscript
    digits: deque
    hangup_at: str | int | None
    hangup_mode: str
    exit_on_hangup: bool
    started: float
    dead: bool = False
    closing: bool = False

    def _next_digits(self) -> DigitsAnswer:
        return self.digits.popleft() if self.digits else None

    def _hangs_up_now(self, index: int, name: str) -> bool:
        if self.dead or self.hangup_at is None:
            return False
        if isinstance(self.hangup_at, int):
            return index == self.hangup_at
        return name == " ".join(str(self.hangup_at).upper().split())

    def reply(self, record: CommandRecord) -> list[str]:
        """Reply lines for one command (``HANGUP`` lines included), in wire order."""
        name, argc = record.name, len(record.argv)
        if self._hangs_up_now(record.index, name):
            return self._caller_hangs_up()
        if not name:
            return ["510 Invalid or unknown command"]
        if self.dead and name not in DEAD_OK:
            return ["511 Command Not Permitted on a dead channel or intercept routine"]
        handler = getattr(self, "_cmd_" + name.lower().replace(" ", "_"))
        replies = handler(record.argv, argc)
        return replies if replies is not None else self._usage(name)

    def _usage(self, name: str) -> list[str]:
        lines = USAGE.get(name, "").splitlines()
        if not lines:
            return ["520 Invalid command syntax.  Proper usage not available."]
        return [
            "520-Invalid command syntax.  Proper usage follows:",
            *lines,
            "520 End of proper usage.",
        ]

    def _caller_hangs_up(self) -> list[str]:
        self.transcript.ended = "caller_hangup"
        self.dead = True
        mode = self.hangup_mode
        if mode == "close":
            self.closing = True
            return []
        self.closing = self.exit_on_hangup
        if mode == "hangup_line":
            return ["HANGUP", "200 result=-1"]
        if mode == "dead":
            return ["HANGUP", "511 Command Not Permitted on a dead channel or intercept routine"]
        return ["200 result=-1", "HANGUP"]  # "result": the command fails, then the HANGUP line

    # -- commands (None means: wrong arity, send the usage block) ------------------------------

    def _cmd_answer(self, argv, argc):
        return ["200 result=0"]

    def _cmd_noop(self, argv, argc):
        return ["200 result=0"]

    def _cmd_channel_status(self, argv, argc):
        return ["200 result=6"] if argc <= 3 else None

    def _cmd_stream_file(self, argv, argc):
        if argc not in (4, 5):
            return None
        queued = self.digits[0] if self.digits else None
        if isinstance(queued, str) and queued and queued[0] in argv[3]:
            self.digits[0] = queued[1:]
            if not self.digits[0]:
                self.digits.popleft()
            return [f"200 result={ord(queued[0])} endpos=12800"]
        return ["200 result=0 endpos=48000"]

    def _cmd_get_data(self, argv, argc):
        if argc < 3:
            return None
        max_digits = int(argv[4]) if argc > 4 and argv[4].isdigit() else 1024
        answer = self._next_digits()
        if answer is None:
            return ["200 result= (timeout)"]
        if isinstance(answer, tuple):
            digits, timed_out = answer
            return [f"200 result={digits[:max_digits]}" + (" (timeout)" if timed_out else "")]
        return [f"200 result={answer[:max_digits]}"]

    def _cmd_wait_for_digit(self, argv, argc):
        if argc != 4:
            return None
        answer = self._next_digits()
        return [f"200 result={ord(answer[0])}" if answer else "200 result=0"]

    def _cmd_say_digits(self, argv, argc):
        return ["200 result=0"] if argc == 4 else None

    def _cmd_set_variable(self, argv, argc):
        if argc != 4:
            return None
        self.transcript.variables[argv[2]] = argv[3]
        at = time.perf_counter() - self.started
        self.transcript.variable_times.setdefault(argv[2], at)
        return ["200 result=1"]

    def _cmd_get_variable(self, argv, argc):
        if argc != 3:
            return None
        value = self.transcript.variables.get(argv[2])
        return ["200 result=0"] if value is None else [f"200 result=1 ({value})"]

    def _cmd_get_full_variable(self, argv, argc):
        return self._cmd_get_variable(argv[:3], 3) if argc in (4, 5) else None

    def _cmd_verbose(self, argv, argc):
        return ["200 result=1"] if argc >= 2 else None

    def _cmd_exec(self, argv, argc):
        return ["200 result=0"] if argc >= 2 else None

    def _cmd_set_context(self, argv, argc):
        return ["200 result=0"] if argc == 3 else None

    _cmd_set_extension = _cmd_set_context
    _cmd_set_priority = _cmd_set_context

    def _cmd_hangup(self, argv, argc):
        if argc > 3:
            return None
        if argc == 3 and argv[2] != self.transcript.channel:
            return ["200 result=-1"]
        if self.transcript.ended == "open":
            self.transcript.ended = "server_hangup"
        self.dead = True
        self.closing = self.exit_on_hangup
        return ["200 result=1", "HANGUP"]


def command_name(argv: Sequence[str]) -> str:
    """The AGI command an argv names (``["get", "data", ...]`` -> ``"GET DATA"``), or ``""``."""
    upper = [word.upper() for word in argv]
    for name in _COMMANDS:
        words = name.split()
        if upper[: len(words)] == words:
            return name
    return ""


def place_call(
    host: str,
    port: int,
    script: str = "95598",
    caller_num: str | bytes = "13800138000",
    caller_name: str | bytes = "Zhang San",
    uniqueid: str | None = None,
    channel: str | None = None,
    dnid: str = "95598",
    args: Sequence[str | bytes] = (),
    digits: Sequence[DigitsAnswer] = ("2",),
    hangup_at: str | int | None = None,
    hangup_mode: str = "hangup_line",
    exit_on_hangup: bool = False,
    trying: bool = False,
    network_lines: bool = True,
    extra_env: Mapping[str, str | bytes] | None = None,
    line_ending: str = "\n",
    line_buffer: int | None = ASTERISK_LINE_BUFFER,
    timeout: float = 10.0,
    on_command: Callable[[CommandRecord], None] | None = None,
) -> CallTranscript:
    """Place one call to a FastAGI server and play the channel until the session ends.

    ``digits``: one answer per ``GET DATA`` (a queued first digit also interrupts a
    ``STREAM FILE`` whose escape digits allow it). ``hangup_at``: command name or 0-based
    index at which the caller hangs up; ``hangup_mode``: ``hangup_line`` (``HANGUP`` then
    ``200 result=-1``), ``result`` (``200 result=-1`` then ``HANGUP``), ``dead`` (``HANGUP``
    then 511) or ``close`` (just close). After a hang-up the channel is dead: later commands
    get 511 unless dead-capable, as in Asterisk; ``exit_on_hangup`` closes at once instead.
    ``line_buffer``: Asterisk reads at most 2047 bytes per command (``None``: unlimited).
    ``timeout``: seconds to wait for each command. Raises OSError if it cannot connect.
    """
    seq = next(_sequence)
    uniqueid = uniqueid or f"{int(time.time())}.{seq}"
    channel = channel or f"PJSIP/trunk-{seq:08x}"
    transcript = CallTranscript(uniqueid=uniqueid, channel=channel, script=script)
    env = build_env(
        host,
        port,
        script,
        uniqueid=uniqueid,
        channel=channel,
        caller_num=caller_num,
        caller_name=caller_name,
        dnid=dnid,
        args=args,
        network_lines=network_lines,
        extra_env=extra_env,
    )
    started = time.perf_counter()
    sock = socket.create_connection((host, port), timeout=timeout)
    transcript.connect_seconds = time.perf_counter() - started
    caller = _Caller(transcript, deque(digits), hangup_at, hangup_mode, exit_on_hangup, started)
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        eol = line_ending.encode()
        sock.sendall(b"".join(key.encode() + b": " + value + eol for key, value in env) + eol)
        transcript.env_lines = [f"{k}: {v.decode('utf-8', 'replace')}" for k, v in env]
        _converse(sock, caller, line_buffer, trying, on_command)
    except TimeoutError:
        transcript.ended = "timeout"
        transcript.error = f"no command from the server within {timeout} s"
    except OSError as exc:
        transcript.ended = "reset" if transcript.ended == "open" else transcript.ended
        transcript.error = f"{type(exc).__name__}: {exc}"
    finally:
        transcript.duration_seconds = time.perf_counter() - started
        sock.close()
    return transcript


def _converse(
    sock: socket.socket,
    caller: _Caller,
    line_buffer: int | None,
    trying: bool,
    on_command: Callable[[CommandRecord], None] | None,
) -> None:
    transcript = caller.transcript
    lines = _Lines(sock, line_buffer)
    for index in itertools.count():
        received = lines.read()
        if received is None:
            if transcript.ended == "open":
                transcript.ended = "completed"
            return
        raw, was_split = received
        transcript.split_lines += was_split
        text = raw.decode("utf-8", errors="replace")
        argv = parse_args(text.split("\x00", 1)[0])
        record = CommandRecord(
            index, text, argv, command_name(argv), time.perf_counter() - caller.started
        )
        transcript.commands.append(record)
        record.replies = [
            line for reply in caller.reply(record) for line in _with_trying(reply, trying)
        ]
        if record.replies:
            sock.sendall("".join(line + "\n" for line in record.replies).encode("utf-8"))
        if on_command:
            on_command(record)
        if caller.closing:
            return


def _with_trying(reply: str, trying: bool) -> list[str]:
    if trying and reply[:1].isdigit() and not reply.startswith("520 "):
        return ["100 Trying...", reply]
    return [reply]
