"""AgiChannel over a socket pair: replies are written to the Asterisk end before each call."""

import signal
import socket
import sys
import time

import eventlet
import pytest
from eventlet.greenthread import GreenThread

from asterisk_sim import parse_args
from svckit.agi import (
    AgiChannel,
    AgiCommandError,
    AgiCommandTooLong,
    AgiHangup,
    AgiLimits,
    AgiProtocolError,
    AgiTimeout,
    AgiUsageError,
    GetDataResult,
)

from .conftest import Metrics

ENV = {
    "agi_uniqueid": "1764100000.42",
    "agi_channel": "PJSIP/trunk-0000002a",
    "agi_callerid": "13800138000",
    "agi_calleridname": 'Zhang "San"',
    "agi_dnid": "95598",
    "agi_network_script": "95598?lang=zh",
    "agi_arg_2": "b",
    "agi_arg_1": "a",
}
LIMITS = AgiLimits(command_timeout_seconds=0.5, max_line_bytes=256, hangup_drain_seconds=0.1)


class Pbx:
    """The Asterisk end of the pair."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.sock.settimeout(2)
        self.buf = b""

    def reply(self, *lines: str | bytes) -> None:
        data = b"".join((x if isinstance(x, bytes) else x.encode()) + b"\n" for x in lines)
        self.sock.sendall(data)

    def command(self) -> str:
        while b"\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, _, self.buf = self.buf.partition(b"\n")
        return line.decode()

    def serve(self, *exchanges: str | bytes | list) -> GreenThread:
        """For each exchange read one command, then send its reply line(s); returns commands."""

        def run() -> list[str]:
            commands = []
            for exchange in exchanges:
                commands.append(self.command())
                self.reply(*(exchange if isinstance(exchange, list) else [exchange]))
            return commands

        return eventlet.spawn(run)


@pytest.fixture
def pair():
    ours, theirs = socket.socketpair()
    channel = AgiChannel(ENV, ours, LIMITS)
    yield channel, Pbx(theirs)
    channel.close()
    theirs.close()


def test_init_has_no_pyst2_side_effects(capsys):
    before = signal.getsignal(signal.SIGHUP)
    ours, theirs = socket.socketpair()
    stdin = sys.stdin
    channel = AgiChannel(ENV, ours)
    assert signal.getsignal(signal.SIGHUP) is before
    assert sys.stdin is stdin
    assert capsys.readouterr() == ("", "")
    assert channel.limits == AgiLimits()
    channel.close()
    channel.close()  # idempotent
    theirs.close()


def test_env_properties(pair):
    channel, _ = pair
    assert channel.uniqueid == "1764100000.42"
    assert channel.channel_name == "PJSIP/trunk-0000002a"
    assert (channel.caller_id_num, channel.caller_id_name) == ("13800138000", 'Zhang "San"')
    assert channel.dnid == "95598"
    assert channel.script == "95598"
    assert channel.query == {"lang": "zh"}
    assert channel.args == ["a", "b"]


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("200 result= (timeout)", GetDataResult("", True)),
        ("200 result=12 (timeout)", GetDataResult("12", True)),
        ("200 result=3", GetDataResult("3", False)),
    ],
)
def test_get_data(pair, reply, expected):
    channel, pbx = pair
    pbx_side = pbx.serve(reply)
    assert channel.get_data("custom/menu", timeout_ms=5000, max_digits=2) == expected
    assert parse_args(pbx_side.wait()[0]) == ["GET", "DATA", "custom/menu", "5000", "2"]


def test_stream_file_and_trying_lines(pair):
    channel, pbx = pair
    pbx_side = pbx.serve(["100 Trying...", "200 result=49 endpos=2240"], "200 result=0 endpos=8000")
    assert channel.stream_file("welcome", "123") == "1"
    assert channel.last_response.extras == {"endpos": "2240"}
    assert channel.stream_file("welcome") == ""
    assert pbx_side.wait() == ['STREAM FILE "welcome" "123" "0"', 'STREAM FILE "welcome" "" "0"']


def test_variables_verbose_and_hangup_commands(pair):
    channel, pbx = pair
    pbx_side = pbx.serve(
        "200 result=1", "200 result=1 (a (b) c)", "200 result=0", "200 result=1", "200 result=1"
    )
    channel.set_variable("CALLER", channel.caller_id_name)
    assert channel.get_variable("CALLER") == "a (b) c"
    assert channel.get_variable("UNSET") == ""
    channel.verbose('say "hi"', 3)
    channel.hangup()
    sent = pbx_side.wait()
    assert sent[0] == 'SET VARIABLE "CALLER" "Zhang \\"San\\""'  # quoted once, not twice
    assert parse_args(sent[0])[3] == 'Zhang "San"'
    assert sent[1:] == [
        'GET VARIABLE "CALLER"',
        'GET VARIABLE "UNSET"',
        'VERBOSE "say \\"hi\\"" "3"',
        "HANGUP",
    ]


def test_inherited_pyst2_methods_are_quoted(pair):
    channel, pbx = pair
    pbx_side = pbx.serve("200 result=0", "200 result=0")
    assert channel.say_digits("123") == ""
    assert channel.appexec("Playback", "a b,c") == "0"
    sent = pbx_side.wait()
    assert sent[0] == 'SAY DIGITS "123" ""'
    assert parse_args(sent[1]) == ["EXEC", "Playback", "a b,c"]


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["200 result=-1"], "result"),
        (["511 Command Not Permitted on a dead channel or intercept routine"], "dead_channel"),
        (["511 Command Not Permitted on a dead channel"], "dead_channel"),
    ],
)
def test_hangup_replies(pair, lines, reason):
    channel, pbx = pair
    pbx.serve(lines)
    with pytest.raises(AgiHangup) as exc:
        channel.answer()
    assert exc.value.reason == reason
    assert channel.hung_up


def test_eof_is_a_hangup(pair):
    channel, pbx = pair
    eventlet.spawn(lambda: (pbx.command(), pbx.sock.close()))
    with pytest.raises(AgiHangup) as exc:
        channel.answer()
    assert exc.value.reason == "eof"


def test_hangup_line_then_the_pending_reply_is_consumed(pair):
    channel, pbx = pair
    pbx.serve(["HANGUP", "200 result=-1"], "511 Command Not Permitted on a dead channel")
    with pytest.raises(AgiHangup) as exc:
        channel.get_data("menu", 1000, 1)
    assert exc.value.reason == "hangup_line"
    assert exc.value.response.result == "-1"
    with pytest.raises(AgiHangup) as exc:  # the next reply is the next command's, in sync
        channel.set_variable("X", "1")
    assert exc.value.reason == "dead_channel"


def test_hangup_line_alone_does_not_wait_for_the_command_timeout(pair):
    channel, pbx = pair
    pbx.serve("HANGUP")
    started = time.monotonic()
    with pytest.raises(AgiHangup) as exc:
        channel.answer()
    assert exc.value.response is None
    assert time.monotonic() - started < LIMITS.command_timeout_seconds


def test_hangup_line_between_commands(pair):
    channel, pbx = pair
    pbx_side = pbx.serve("200 result=0")
    channel.answer()
    pbx_side.wait()
    pbx.reply("HANGUP")
    with pytest.raises(AgiHangup) as exc:
        channel.stream_file("never-sent")
    assert exc.value.reason == "hangup_line"
    assert channel.hung_up
    pbx_side = pbx.serve("200 result=1")
    channel.set_variable("AFTER", "hangup")  # dead-capable cleanup is still possible
    assert pbx_side.wait() == ['SET VARIABLE "AFTER" "hangup"']


def test_unsolicited_lines_are_dropped_and_counted(pair):
    channel, pbx = pair
    metrics = Metrics()
    pbx.reply("200 result=1 (injected)", "agi_callingpres: 0", "")
    pbx.serve("200 result=0")
    channel.noop()
    assert channel.last_response.raw == "200 result=0"
    assert metrics.delta() == {"unsolicited_data": 3}


def test_510_and_520_keep_the_channel_in_sync(pair):
    channel, pbx = pair
    pbx.serve(
        "510 Invalid or unknown command",
        [
            "520-Invalid command syntax.  Proper usage follows:",
            "Usage: GET DATA <file to be streamed> [timeout] [maxdigits]",
            "520 End of proper usage.",
        ],
        "200 result=0",
    )
    with pytest.raises(AgiCommandError):
        channel.execute("FOO BAR")
    with pytest.raises(AgiUsageError) as exc:
        channel.execute("GET DATA")
    assert "Usage: GET DATA" in exc.value.usage
    channel.answer()
    assert channel.last_response.result == "0"


def test_reply_timeout(pair):
    channel, _ = pair
    metrics = Metrics()
    with pytest.raises(AgiTimeout):
        channel.answer()
    assert metrics.delta() == {"response_timeout": 1}


def test_oversize_and_garbage_replies(pair):
    channel, pbx = pair
    metrics = Metrics()
    pbx.serve(b"\xff\xfe\xfd garbage", "200 result=1 (" + "x" * 300 + ")")
    with pytest.raises(AgiProtocolError) as exc:
        channel.answer()
    assert exc.value.kind == "bad_response"
    with pytest.raises(AgiProtocolError) as exc:
        channel.answer()
    assert exc.value.kind == "oversize_line"
    assert metrics.delta() == {"bad_response": 1, "oversize_line": 1}


def test_command_longer_than_asterisk_reads_is_refused(pair):
    channel, pbx = pair
    metrics = Metrics()
    with pytest.raises(AgiCommandTooLong):
        channel.set_variable("NAME", "x" * 3000)
    assert metrics.delta() == {"command_too_long": 1}
    pbx_side = pbx.serve("200 result=1")
    channel.set_variable("NAME", "x" * 2000)
    assert len(pbx_side.wait()[0]) == 2000 + len('SET VARIABLE "NAME" ""')


def test_write_to_a_closed_peer_is_a_hangup(pair):
    channel, pbx = pair
    pbx.sock.close()
    with pytest.raises(AgiHangup):
        for _ in range(50):  # the first writes may still be buffered by the kernel
            channel.send_command("NOOP")
            time.sleep(0.001)
