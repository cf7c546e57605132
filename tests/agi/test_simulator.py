"""The Asterisk simulator on its own: env block, replies, hang-up modes, line buffer, CLI."""

import socket
import sys
from pathlib import Path

import eventlet
import pytest
from eventlet.green import subprocess

from asterisk_sim import command_name, place_call

ROOT = Path(__file__).resolve().parents[2]
DEAD = "511 Command Not Permitted on a dead channel or intercept routine"


def _read_reply(reader) -> list[str]:
    """Lines up to and including a final reply line (100 and HANGUP lines are kept)."""
    lines = []
    while True:
        raw = reader.readline()
        if not raw:
            return lines
        line = raw.decode().rstrip("\n")
        lines.append(line)
        if line[:3].isdigit() and line[3:4] == " " and not line.startswith("100"):
            return lines


def scripted_server(commands: list[str]):
    """A one-call FastAGI server that sends ``commands`` and returns (env, replies)."""
    listener = eventlet.listen(("127.0.0.1", 0))

    def run():
        sock, _ = listener.accept()
        reader = sock.makefile("rb")
        env = []
        while (line := reader.readline()) not in (b"\n", b"\r\n", b""):
            env.append(line.decode())
        replies = []
        try:
            for command in commands:
                sock.sendall(command.encode() + b"\n")
                replies.append(_read_reply(reader))
        except OSError:  # the simulated caller hung up by closing
            replies.append([])
        sock.close()
        listener.close()
        return env, replies

    return listener.getsockname()[1], eventlet.spawn(run)


def converse(commands: list[str], **kwargs):
    port, server = scripted_server(commands)
    transcript = place_call("127.0.0.1", port, timeout=2, **kwargs)
    env, replies = server.wait()
    return transcript, env, replies


def test_replies_as_asterisk_sends_them():
    commands = [
        "ANSWER",
        'STREAM FILE "welcome" "" "0"',
        'STREAM FILE "welcome" "123" "0"',
        "GET DATA",
        'GET DATA "menu" "3000" "1"',
        'GET DATA "menu" "3000" "4"',
        "GET DATA menu",
        "FOO BAR",
        'GET VARIABLE "X"',
        'SET VARIABLE "X" "a \\"b\\" c"',
        "get variable X",
        'VERBOSE "hi" 1',
        "NOOP",
        'EXEC Playback "beep"',
        'WAIT FOR DIGIT "100"',
        "HANGUP",
        'STREAM FILE "late" ""',
        'SET VARIABLE "AFTER" "1"',
    ]
    digits = ["2", "5", ("12", True), None]
    transcript, _, replies = converse(commands, digits=digits)
    assert replies[:3] == [
        ["200 result=0"],
        ["200 result=0 endpos=48000"],
        ["200 result=50 endpos=12800"],  # "2" interrupts: its ASCII code
    ]
    assert replies[3][0] == "520-Invalid command syntax.  Proper usage follows:"
    assert replies[3][1].startswith("Usage: GET DATA <file to be streamed>")
    assert replies[3][-1] == "520 End of proper usage."
    assert replies[4:] == [
        ["200 result=5"],
        ["200 result=12 (timeout)"],
        ["200 result= (timeout)"],
        ["510 Invalid or unknown command"],
        ["200 result=0"],
        ["200 result=1"],
        ['200 result=1 (a "b" c)'],
        ["200 result=1"],
        ["200 result=0"],
        ["200 result=0"],
        ["200 result=0"],
        ["200 result=1"],
        ["HANGUP", DEAD],  # after HANGUP the channel is dead
        ["200 result=1"],  # SET VARIABLE is allowed on a dead channel
    ]
    assert transcript.ended == "server_hangup"
    assert transcript.variables == {"X": 'a "b" c', "AFTER": "1"}
    assert transcript.commands[1].argv == ["STREAM", "FILE", "welcome", "", "0"]


def test_trying_lines():
    _, _, replies = converse(["ANSWER", "GET DATA"], trying=True)
    assert replies[0] == ["100 Trying...", "200 result=0"]
    assert replies[1][:2] == ["100 Trying...", "520-Invalid command syntax.  Proper usage follows:"]


def test_env_block():
    transcript, env, _ = converse(
        [], uniqueid="1764100000.7", channel="PJSIP/t-1", args=("a", "b c"),
        extra_env={"agi_accountcode": "acct", "agi_custom": "x"},
    )  # fmt: skip
    assert env[:3] == ["agi_network: yes\n", "agi_network_script: 95598\n", env[2]]
    assert env[2].startswith("agi_request: agi://127.0.0.1:")
    assert "agi_uniqueid: 1764100000.7\n" in env
    assert "agi_accountcode: acct\n" in env and "agi_custom: x\n" in env
    assert env[-2:] == ["agi_arg_1: a\n", "agi_arg_2: b c\n"]
    assert transcript.ended == "completed"
    _, env, _ = converse([], network_lines=False, line_ending="\r\n")
    assert env[0].startswith("agi_request: ") and env[0].endswith("\r\n")
    assert not any(line.startswith("agi_network") for line in env)


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("hangup_line", ["HANGUP", "200 result=-1"]),
        ("result", ["200 result=-1"]),
        ("dead", ["HANGUP", DEAD]),
        ("close", []),
    ],
)
def test_hangup_modes(mode, expected):
    transcript, _, replies = converse(
        ["ANSWER", "GET DATA menu", "NOOP"], hangup_at="get data", hangup_mode=mode
    )
    assert replies[1] == expected
    assert transcript.ended == "caller_hangup"
    if mode == "result":  # the HANGUP line follows the failed command's reply
        assert replies[2] == ["HANGUP", "200 result=0"]


def test_line_buffer_splits_long_commands_like_asterisk():
    long_command = 'VERBOSE "' + "x" * 3000 + '" 1'
    transcript, _, replies = converse([long_command])
    assert transcript.split_lines == 1
    assert [r.name for r in transcript.commands] == ["VERBOSE", ""]
    assert len(transcript.commands[0].line) == 2047
    transcript, _, _ = converse([long_command], line_buffer=None)
    assert transcript.split_lines == 0 and transcript.commands[0].argv[1] == "x" * 3000


def test_silent_server_times_out():
    listener = eventlet.listen(("127.0.0.1", 0))
    transcript = place_call("127.0.0.1", listener.getsockname()[1], timeout=0.2)
    assert transcript.ended == "timeout"
    listener.close()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def test_connection_refused_raises():
    with pytest.raises(ConnectionRefusedError):
        place_call("127.0.0.1", _closed_port(), timeout=1)


def test_command_name():
    assert command_name(["get", "full", "variable", "X"]) == "GET FULL VARIABLE"
    assert command_name(["GET", "VARIABLE", "X"]) == "GET VARIABLE"
    assert command_name(["GET"]) == ""
    assert command_name([]) == ""


def test_transcript_format():
    transcript, _, _ = converse(['SET VARIABLE "WORK_ORDER_ID" "42"'])
    text = transcript.format()
    assert '<< SET VARIABLE "WORK_ORDER_ID" "42"' in text
    assert ">> 200 result=1" in text and "WORK_ORDER_ID=42" in text


# -- command line -----------------------------------------------------------------------------


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "asterisk_sim", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )


def test_cli_call(agi_server):
    done = run_cli(
        "call", "--port", str(agi_server.port), "--caller", "13800138000",
        "--name", "Zhang San", "--digits", "2",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "<< GET DATA" in done.stdout
    assert "WORK_ORDER_ID = 42" in done.stdout
    assert "ROUTE_TARGET = PJSIP/agent-2" in done.stdout


def test_cli_load(agi_server):
    done = run_cli("load", "--port", str(agi_server.port), "--concurrency", "4", "--duration", "1")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "calls/s" in done.stdout and "p99" in done.stdout


@pytest.mark.parametrize("mode", ["call", "load"])
def test_cli_connection_failure(mode):
    extra = ["--duration", "0.3", "--concurrency", "2"] if mode == "load" else []
    done = run_cli(mode, "--port", str(_closed_port()), *extra)
    assert done.returncode == 2
    assert "error:" in done.stderr


def test_percentiles_are_nearest_rank():
    from asterisk_sim.load import percentile

    hundred = [float(n) for n in range(100, 0, -1)]
    assert [percentile(hundred, p) for p in (1, 50, 95, 99, 100)] == [1, 50, 95, 99, 100]
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0], 50) == 2.0 and percentile([1.0, 2.0], 50) == 1.0
    assert percentile([], 50) != percentile([], 50)  # nan
