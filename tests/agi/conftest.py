import eventlet; eventlet.monkey_patch()  # noqa: E702, I001 - must come first

import socket  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.extensions import DependencyProvider  # noqa: E402
from prometheus_client import REGISTRY  # noqa: E402

from asterisk_sim import CallTranscript, build_env, parse_args, place_call  # noqa: E402
from svckit.agi import (  # noqa: E402
    AgiChannel,
    AgiCommandTooLong,
    AgiException,
    AgiHangup,
    fastagi,
    get_server,
)

#: What handlers observed, by uniqueid; plus shared counters under "_state".
RESULTS: dict[str, Any] = {}
STATE = {"active": 0, "peak": 0}

HOSTILE_NAMES = [
    'Zhang "San"',
    "semi;colon|pipe&amp $(reboot) `id`",
    "back\\slash \\\\ double \\",
    'trailing backslash quote \\"',
    "  spaced  \t tab ",
    '\'single\' "double" \\"escaped\\"',
    "张三 (客户) 95598",
    "%s %n {0} ${EXTEN}",
    "",
]
HOSTILE_WITH_NEWLINES = [
    "line\nbreak",
    "cr\rlf\r\nend",
    "\n200 result=1 (injected)\n",
    'x"\nEXEC System "rm -rf /"',
    "nul\x00byte",
]
TEN_KB = ('Zhang "San" ; | \\ ' * 600)[:10240]

PROBE_STEPS: dict[str, Callable[[AgiChannel], Any]] = {
    "answer": lambda ch: ch.answer(),
    "stream": lambda ch: ch.stream_file("welcome", "123"),
    "get_data": lambda ch: ch.get_data("menu", 3000, 2),
    "set": lambda ch: ch.set_variable("RESULT", "ok"),
    "get": lambda ch: ch.get_variable("FOO"),
    "verbose": lambda ch: ch.verbose("hello world", 2),
    "noop": lambda ch: ch.noop(),
    "exec": lambda ch: ch.appexec("Playback", "beep,noanswer"),
    "say": lambda ch: ch.say_digits("123"),
    "hangup": lambda ch: ch.hangup(),
}


def _record(channel: AgiChannel, **values: Any) -> None:
    RESULTS.setdefault(channel.uniqueid, {}).update(values)


class WorkerOutcomes(DependencyProvider):
    """What nameko's dependencies are told about each worker (``exc_info`` type or None)."""

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        channel = worker_ctx.args[0]
        _record(channel, worker_exc=exc_info[0].__name__ if exc_info else None)


class AgiTestService:
    """Handlers the tests drive with the simulator or raw sockets; no AMQP dependencies."""

    name = "agi_test"
    outcomes = WorkerOutcomes()

    @fastagi("95598")
    def hotline(self, channel: AgiChannel) -> None:
        channel.answer()
        channel.stream_file("welcome")
        result = channel.get_data("menu", timeout_ms=5000, max_digits=1)
        _record(channel, digits=result.digits, timed_out=result.timed_out)
        channel.set_variable("WORK_ORDER_ID", "42")
        channel.set_variable("ROUTE_TARGET", f"PJSIP/agent-{result.digits or 'queue'}")

    @fastagi("echo")
    def echo(self, channel: AgiChannel) -> None:
        _record(channel, env=dict(channel.env), args=channel.args, script=channel.script)
        _record(channel, query=channel.query, name=channel.caller_id_name)
        channel.set_variable("CALLER_NAME", channel.caller_id_name)
        channel.set_variable("CALLER_NUM", channel.caller_id_num)

    @fastagi("hostile")
    def hostile(self, channel: AgiChannel) -> None:
        values = HOSTILE_NAMES + HOSTILE_WITH_NEWLINES
        for index, value in enumerate(values):
            channel.set_variable(f"H{index}", value)
        channel.verbose(values[1], 1)

    @fastagi("toolong")
    def toolong(self, channel: AgiChannel) -> None:
        try:
            channel.set_variable("CALLER_NAME", channel.caller_id_name)
        except AgiCommandTooLong as exc:
            _record(channel, too_long=str(exc))
            channel.set_variable("CALLER_NAME", channel.caller_id_name[:1000])

    @fastagi("probe")
    def probe(self, channel: AgiChannel) -> None:
        steps = []
        _record(channel, steps=steps)
        for name in channel.args:
            if name not in PROBE_STEPS:
                continue
            try:
                steps.append((name, "ok", PROBE_STEPS[name](channel)))
            except AgiHangup as exc:
                steps.append((name, "hangup", exc.reason))
                if "catch_hangup" not in channel.args:
                    raise
            except AgiException as exc:
                steps.append((name, type(exc).__name__, str(exc)))
        _record(channel, hung_up=channel.hung_up)

    @fastagi("boom")
    def boom(self, channel: AgiChannel) -> None:
        channel.answer()
        raise RuntimeError("handler bug")

    @fastagi("slow")
    def slow(self, channel: AgiChannel) -> None:
        STATE["active"] += 1
        STATE["peak"] = max(STATE["peak"], STATE["active"])
        try:
            channel.answer()
            eventlet.sleep(float(channel.args[0]) if channel.args else 0.3)
            channel.set_variable("WORK_ORDER_ID", channel.uniqueid)
        finally:
            STATE["active"] -= 1


@dataclass
class AgiServerHandle:
    container: ServiceContainer
    port: int
    host: str = "127.0.0.1"

    def call(self, **kwargs: Any) -> CallTranscript:
        kwargs.setdefault("timeout", 5.0)
        return place_call(self.host, self.port, **kwargs)

    def raw(self, timeout: float = 5.0) -> "RawAsterisk":
        return RawAsterisk(self.host, self.port, timeout)


TEST_LIMITS = {"env_timeout_seconds": 0.5, "command_timeout_seconds": 2}


def start_container(limits: dict | None = None, **config: Any) -> AgiServerHandle:
    config = {
        "FASTAGI_ADDRESS": "127.0.0.1:0",
        "FASTAGI_LIMITS": {**TEST_LIMITS, **(limits or {})},
        "max_workers": 400,
        **config,
    }
    container = ServiceContainer(AgiTestService, config)
    container.start()
    return AgiServerHandle(container, get_server(container).port)


def stop_container(handle: AgiServerHandle) -> None:
    with eventlet.Timeout(10, False):
        handle.container.stop()
    if not handle.container._died.ready():
        handle.container.kill()


@pytest.fixture(scope="session")
def agi_server() -> Iterator[AgiServerHandle]:
    """The shared test container: short timeouts, default line and command limits."""
    handle = start_container()
    yield handle
    stop_container(handle)


@pytest.fixture(scope="session")
def wide_agi_server() -> Iterator[AgiServerHandle]:
    """A container that allows command lines longer than Asterisk's 2047 bytes."""
    handle = start_container({"max_command_bytes": 65536})
    yield handle
    stop_container(handle)


@pytest.fixture
def agi_results() -> dict[str, Any]:
    return RESULTS


@pytest.fixture
def agi_state() -> dict[str, int]:
    return STATE


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@dataclass
class Metrics:
    """Snapshot of the AGI metrics; ``delta()`` gives what moved since."""

    before: dict[tuple, float] = field(default_factory=dict)

    KEYS = (
        *[("csc_agi_sessions_total", "outcome", o) for o in
          ("completed", "hangup", "error", "rejected", "timeout")],
        *[("csc_agi_protocol_errors_total", "kind", k) for k in (
            "oversize_line", "too_many_env_lines", "env_timeout", "env_incomplete",
            "unknown_script", "bad_response", "response_timeout", "unsolicited_data",
            "command_too_long")],
        ("csc_agi_session_duration_seconds_count", None, None),
    )  # fmt: skip

    def _read(self) -> dict[tuple, float]:
        return {key: sample(key[0], **({key[1]: key[2]} if key[1] else {})) for key in self.KEYS}

    def __post_init__(self) -> None:
        self.before = self._read()

    def delta(self) -> dict[str, float]:
        after = self._read()
        moved = {}
        for key, value in after.items():
            if value != self.before[key]:
                moved[key[2] or key[0]] = value - self.before[key]
        return moved


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def in_progress() -> float:
    return sample("csc_agi_sessions_in_progress")


def wait_for(predicate: Callable[[], bool], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        eventlet.sleep(0.01)
    return predicate()


class RawAsterisk:
    """A hand-driven Asterisk end of a FastAGI connection, for scripted replies."""

    def __init__(self, host: str, port: int, timeout: float = 5.0) -> None:
        self.host, self.port = host, port
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_env(self, script: str = "probe", args: tuple = (), uniqueid: str | None = None,
                 **overrides: Any) -> str:  # fmt: skip
        uniqueid = uniqueid or f"raw.{time.monotonic_ns()}"
        env = build_env(
            self.host, self.port, script, uniqueid=uniqueid, channel="PJSIP/raw-00000001",
            caller_num="13800138000", caller_name="Raw Caller", dnid="95598", args=args,
            extra_env=overrides,
        )  # fmt: skip
        self.send(b"".join(k.encode() + b": " + v + b"\n" for k, v in env) + b"\n")
        return uniqueid

    def read_line(self) -> str | None:
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                return None
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode("utf-8", "replace")

    def command(self) -> list[str] | None:
        line = self.read_line()
        return None if line is None else parse_args(line)

    def reply(self, *lines: str | bytes) -> None:
        self.send(b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines))

    def closed_by_server(self, timeout: float = 3.0) -> bool:
        """True when the server closes the connection within ``timeout`` (data is ignored)."""
        self.sock.settimeout(timeout)
        try:
            while self.sock.recv(65536):
                pass
        except TimeoutError:
            return False
        except ConnectionResetError:
            return True
        return True

    def close(self) -> None:
        self.sock.close()
