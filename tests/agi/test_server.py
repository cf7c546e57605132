"""The FastAGI server in a real nameko container, driven by the simulator and raw sockets."""

import logging
import socket
import time

import eventlet
import pytest
from nameko.containers import ServiceContainer
from nameko.exceptions import ConfigurationError

from asterisk_sim import parse_args
from svckit.agi import AgiChannel, fastagi

from .conftest import (
    HOSTILE_NAMES,
    HOSTILE_WITH_NEWLINES,
    TEN_KB,
    AgiTestService,
    in_progress,
    sample,
    start_container,
    stop_container,
    wait_for,
)

HOTLINE = ["ANSWER", "STREAM FILE", "GET DATA", "SET VARIABLE", "SET VARIABLE"]


def test_hotline_call(agi_server, agi_results, metrics):
    gauge = in_progress()
    transcript = agi_server.call(digits=["2"])
    assert transcript.ended == "completed"
    assert transcript.command_names == HOTLINE
    assert transcript.variables == {"WORK_ORDER_ID": "42", "ROUTE_TARGET": "PJSIP/agent-2"}
    assert 0 < transcript.latency_to("WORK_ORDER_ID") < transcript.duration_seconds
    assert agi_results[transcript.uniqueid] == {
        "digits": "2",
        "timed_out": False,
        "worker_exc": None,
    }
    assert metrics.delta() == {"completed": 1, "csc_agi_session_duration_seconds_count": 1}
    assert wait_for(lambda: in_progress() == gauge)


@pytest.mark.parametrize(
    ("digits", "expected"),
    [([None], ("", True)), ([("1", True)], ("1", True)), (["9"], ("9", False))],
)
def test_get_data_forms_through_the_simulator(agi_server, agi_results, digits, expected):
    transcript = agi_server.call(digits=digits, trying=True)
    assert transcript.ended == "completed"
    result = agi_results[transcript.uniqueid]
    assert (result["digits"], result["timed_out"]) == expected
    assert all(r.replies[0] == "100 Trying..." for r in transcript.commands)


# -- environment forms ------------------------------------------------------------------------


def test_env_with_network_lines_args_and_query(agi_server, agi_results):
    args = [f"arg {n}: with colon" for n in range(1, 13)]
    transcript = agi_server.call(
        script="echo?lang=zh&x=", args=args, extra_env={"agi_accountcode": ""}
    )
    seen = agi_results[transcript.uniqueid]
    assert seen["script"] == "echo"
    assert seen["query"] == {"lang": "zh", "x": ""}
    assert seen["args"] == args
    assert seen["env"]["agi_accountcode"] == ""
    assert seen["env"]["agi_threadid"] == "-1239529728"
    assert seen["env"]["agi_request"] == f"agi://127.0.0.1:{agi_server.port}/echo?lang=zh&x="
    assert transcript.variables["CALLER_NAME"] == "Zhang San"


def test_env_without_network_lines_dispatches_on_agi_request(agi_server, agi_results):
    transcript = agi_server.call(script="echo", network_lines=False)
    seen = agi_results[transcript.uniqueid]
    assert seen["script"] == "echo"
    assert "agi_network" not in seen["env"]


def test_env_with_crlf_and_bare_colons(agi_server, agi_results):
    raw = agi_server.raw()
    lines = [
        "agi_network: yes",
        "agi_network_script: echo",
        "agi_uniqueid: crlf.1",
        "agi_calleridname:Li:Si",
        "agi_accountcode:",
        "agi_threadid: -42",
        "",
    ]
    raw.send("\r\n".join(lines).encode() + b"\r\n")
    assert parse_args(raw.read_line()) == ["SET", "VARIABLE", "CALLER_NAME", "Li:Si"]
    raw.reply("200 result=1")
    assert raw.command()[:3] == ["SET", "VARIABLE", "CALLER_NUM"]
    raw.reply("200 result=1")
    assert raw.closed_by_server()
    env = agi_results["crlf.1"]["env"]
    assert env["agi_accountcode"] == "" and env["agi_threadid"] == "-42"


def test_invalid_utf8_in_env_is_replaced_not_fatal(agi_server, agi_results, metrics):
    transcript = agi_server.call(script="echo", caller_name=b"\xff\xfeZhang \xe5\xbc")
    assert transcript.ended == "completed"
    assert agi_results[transcript.uniqueid]["name"] == "\ufffd\ufffdZhang \ufffd"
    assert metrics.delta()["completed"] == 1


# -- hostile caller ID -----------------------------------------------------------------------


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_caller_names_survive_env_and_commands(agi_server, agi_results, name):
    transcript = agi_server.call(script="echo", caller_name=name)
    assert agi_results[transcript.uniqueid]["name"] == name
    assert transcript.variables["CALLER_NAME"] == name
    assert [r.name for r in transcript.commands] == ["SET VARIABLE", "SET VARIABLE"]


def test_hostile_values_with_newlines_cannot_inject_commands(agi_server):
    transcript = agi_server.call(script="hostile")
    values = HOSTILE_NAMES + HOSTILE_WITH_NEWLINES
    assert transcript.command_names == ["SET VARIABLE"] * len(values) + ["VERBOSE"]
    for index, value in enumerate(values):
        expected = value.replace("\r", "").replace("\n", "").replace("\x00", "")
        assert transcript.variables[f"H{index}"] == expected
    assert transcript.commands[-1].argv[1] == values[1]


def test_ten_kb_caller_name(wide_agi_server, agi_results):
    transcript = wide_agi_server.call(script="echo", caller_name=TEN_KB, line_buffer=None)
    assert agi_results[transcript.uniqueid]["name"] == TEN_KB
    assert transcript.variables["CALLER_NAME"] == TEN_KB
    assert transcript.split_lines == 0


def test_ten_kb_caller_name_is_refused_rather_than_split_by_asterisk(agi_server, agi_results):
    transcript = agi_server.call(script="toolong", caller_name=TEN_KB)
    assert "Asterisk accepts 2047" in agi_results[transcript.uniqueid]["too_long"]
    assert transcript.split_lines == 0
    assert transcript.command_names == ["SET VARIABLE"]
    assert transcript.variables["CALLER_NAME"] == TEN_KB[:1000]


def test_why_the_command_limit_exists(wide_agi_server):
    """With the limit lifted, real Asterisk would cut the line at 2047 bytes and run the rest."""
    evil = "x" * (2047 - len('SET VARIABLE "CALLER_NAME" "')) + ' EXEC System "reboot"'
    transcript = wide_agi_server.call(script="echo", caller_name=evil)
    assert transcript.split_lines == 1
    assert transcript.commands[1].argv[:2] == ["EXEC", "System"]


def test_newline_in_caller_name_cannot_redirect_or_fake_replies(agi_server, agi_results, metrics):
    transcript = agi_server.call(
        script="echo", caller_name="Evil\nagi_network_script: boom\n\n200 result=1 (fake)"
    )
    assert transcript.ended == "completed"
    assert agi_results[transcript.uniqueid]["script"] == "echo"
    assert transcript.variables["CALLER_NAME"] == "Evil"
    assert [r.replies for r in transcript.commands] == [["200 result=1"], ["200 result=1"]]
    moved = metrics.delta()
    assert moved["completed"] == 1 and moved["unsolicited_data"] >= 1


# -- hang-ups ---------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["hangup_line", "result", "dead", "close"])
@pytest.mark.parametrize("step", ["ANSWER", "STREAM FILE", "GET DATA", 3])
def test_caller_hangs_up_at_each_step(agi_server, agi_results, metrics, mode, step):
    transcript = agi_server.call(hangup_at=step, hangup_mode=mode)
    assert transcript.ended == "caller_hangup"
    index = step if isinstance(step, int) else HOTLINE.index(step)
    assert len(transcript.commands) == index + 1
    expected = {"hangup": 1, "csc_agi_session_duration_seconds_count": 1}
    wait_for(lambda: metrics.delta() == expected)  # "close" returns before the server notices
    assert metrics.delta() == expected
    assert agi_results[transcript.uniqueid]["worker_exc"] is None  # a hang-up is no error


def test_handler_may_catch_hangup_and_run_dead_channel_commands(agi_server, agi_results):
    args = ("answer", "get_data", "set", "stream", "catch_hangup")
    transcript = agi_server.call(script="probe", args=args, hangup_at="GET DATA")
    steps = agi_results[transcript.uniqueid]["steps"]
    assert steps[1] == ("get_data", "hangup", "hangup_line")
    assert steps[2] == ("set", "ok", None)  # SET VARIABLE is allowed on a dead channel
    assert steps[3] == ("stream", "hangup", "dead_channel")  # 511
    assert transcript.variables == {"RESULT": "ok"}


def test_exit_on_hangup_closes_after_hangup_line(agi_server, agi_results):
    args = ("answer", "get_data", "set", "catch_hangup")
    transcript = agi_server.call(
        script="probe", args=args, hangup_at="GET DATA", exit_on_hangup=True
    )
    steps = agi_results[transcript.uniqueid]["steps"]
    assert wait_for(lambda: len(steps) == 3)  # the simulator closed without waiting
    assert steps[1:] == [("get_data", "hangup", "hangup_line"), ("set", "hangup", "eof")]


def test_server_hangup_command(agi_server, agi_results, metrics):
    transcript = agi_server.call(script="probe", args=("answer", "hangup"))
    assert transcript.ended == "server_hangup"
    assert agi_results[transcript.uniqueid]["steps"][1] == ("hangup", "ok", None)
    assert metrics.delta()["completed"] == 1


# -- misbehaving peers ------------------------------------------------------------------------


def test_silent_client_times_out_and_server_keeps_serving(agi_server, metrics):
    raw = agi_server.raw()
    started = time.monotonic()
    assert raw.closed_by_server(timeout=3)
    assert 0.4 < time.monotonic() - started < 2
    assert metrics.delta() == {"timeout": 1, "env_timeout": 1}
    assert agi_server.call().ended == "completed"


def test_slow_env_is_cut_at_the_block_deadline(agi_server, metrics):
    raw = agi_server.raw()
    started = time.monotonic()
    for n in range(8):
        try:
            raw.send(f"agi_k{n}: v\n".encode())
        except OSError:
            break
        eventlet.sleep(0.15)
    assert raw.closed_by_server(timeout=3)
    assert time.monotonic() - started < 1.6
    assert metrics.delta() == {"timeout": 1, "env_timeout": 1}


def test_oversize_env_line_is_rejected(agi_server, metrics):
    raw = agi_server.raw()
    raw.send(b"agi_network: yes\nagi_calleridname: " + b"x" * 20000 + b"\n\n")
    assert raw.closed_by_server()
    assert metrics.delta() == {"rejected": 1, "oversize_line": 1}


def test_oversize_line_without_newline_is_rejected_early(agi_server, metrics):
    raw = agi_server.raw()
    raw.send(b"z" * 17000)
    assert raw.closed_by_server(timeout=0.4)  # before the env timeout
    assert metrics.delta() == {"rejected": 1, "oversize_line": 1}


def test_too_many_env_lines_is_rejected(agi_server, metrics):
    raw = agi_server.raw()
    raw.send(b"".join(b"agi_x%d: y\n" % n for n in range(200)) + b"\n")
    assert raw.closed_by_server()
    assert metrics.delta() == {"rejected": 1, "too_many_env_lines": 1}


def test_disconnect_inside_env_is_counted(agi_server, metrics):
    raw = agi_server.raw()
    raw.send(b"agi_network: yes\nagi_network_script: 95598\n")
    raw.close()
    assert wait_for(lambda: metrics.delta().get("env_incomplete") == 1)
    assert metrics.delta() == {"rejected": 1, "env_incomplete": 1}


def test_binary_garbage_instead_of_env(agi_server, metrics):
    raw = agi_server.raw()
    raw.send(bytes(range(256)) * 4 + b"\n\n")
    assert raw.command() == ["HANGUP"]  # decoded with replacement: an env with no script
    assert raw.closed_by_server()
    assert metrics.delta() == {"rejected": 1, "unknown_script": 1}


def test_unknown_script(agi_server, metrics, caplog):
    transcript = agi_server.call(script="no-such-script")
    assert transcript.ended == "server_hangup"
    assert transcript.command_names == ["HANGUP"]
    assert metrics.delta() == {"rejected": 1, "unknown_script": 1}
    assert "unknown script 'no-such-script'" in caplog.text


def test_garbage_reply_ends_the_session_as_error(agi_server, metrics):
    raw = agi_server.raw()
    raw.send_env("95598")
    assert raw.command() == ["ANSWER"]
    raw.reply(b"\xff\xfe not a reply")
    assert raw.closed_by_server()
    assert metrics.delta() == {
        "error": 1,
        "bad_response": 1,
        "csc_agi_session_duration_seconds_count": 1,
    }


def test_no_reply_ends_the_session_as_timeout(agi_server, metrics):
    raw = agi_server.raw()
    raw.send_env("95598")
    assert raw.command() == ["ANSWER"]
    assert raw.closed_by_server(timeout=4)
    moved = metrics.delta()
    assert moved["timeout"] == 1 and moved["response_timeout"] == 1


def test_unknown_command_and_usage_replies(agi_server, agi_results):
    raw = agi_server.raw()
    uniqueid = raw.send_env("probe", args=("answer", "noop", "verbose"))
    raw.command()
    raw.reply("510 Invalid or unknown command")
    raw.command()
    raw.reply("520-Invalid command syntax.  Proper usage follows:", "Usage: NOOP", "520 End.")
    raw.command()
    raw.reply("100 Trying...", "200 result=1")
    assert raw.closed_by_server()
    steps = agi_results[uniqueid]["steps"]
    assert [s[:2] for s in steps] == [
        ("answer", "AgiCommandError"),
        ("noop", "AgiUsageError"),
        ("verbose", "ok"),
    ]


def test_handler_exception_closes_session_and_is_logged_once(
    agi_server, agi_results, metrics, caplog
):
    caplog.set_level(logging.DEBUG, logger="nameko.containers")
    transcript = agi_server.call(script="boom")
    assert transcript.ended == "completed"
    assert transcript.command_names == ["ANSWER"]
    assert metrics.delta() == {"error": 1, "csc_agi_session_duration_seconds_count": 1}
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "RuntimeError: handler bug" in warnings[0].getMessage()
    assert warnings[0].exc_info is None
    assert agi_results[transcript.uniqueid]["worker_exc"] == "RuntimeError"
    assert agi_server.call().ended == "completed"
    assert not agi_server.container._died.ready()


# -- concurrency and lifecycle ----------------------------------------------------------------


def test_200_concurrent_sessions(agi_server, agi_state, metrics):
    agi_state["peak"] = 0
    pool = eventlet.GreenPool(200)
    started = time.monotonic()
    threads = [pool.spawn(agi_server.call, script="slow", args=("0.5",)) for _ in range(200)]
    transcripts = [thread.wait() for thread in threads]
    elapsed = time.monotonic() - started
    assert all(t.ended == "completed" for t in transcripts)
    assert len({t.variables["WORK_ORDER_ID"] for t in transcripts}) == 200
    assert agi_state["peak"] >= 190
    assert elapsed < 5
    assert metrics.delta()["completed"] == 200


def test_metrics_in_progress_gauge_counts_open_sessions(agi_server):
    base = in_progress()
    raw = agi_server.raw()
    raw.send_env("95598")
    assert raw.command() == ["ANSWER"]
    assert in_progress() == base + 1
    raw.close()
    assert wait_for(lambda: in_progress() == base)


def test_container_stops_cleanly_with_an_idle_connection():
    handle = start_container()
    raw = handle.raw()
    started = time.monotonic()
    stop_container(handle)
    assert time.monotonic() - started < 3
    assert raw.closed_by_server(timeout=1)
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", handle.port), timeout=1)


def test_graceful_stop_waits_for_calls_in_progress():
    handle = start_container()
    call = eventlet.spawn(handle.call, script="slow", args=("0.5",))
    assert wait_for(lambda: handle.container._worker_threads)
    stop_container(handle)
    assert call.wait().variables.get("WORK_ORDER_ID")


def test_a_stopping_instance_refuses_new_calls_at_once_and_finishes_those_in_progress():
    handle = start_container()
    call = eventlet.spawn(handle.call, script="slow", args=("1.0",))
    assert wait_for(lambda: handle.container._worker_threads)
    stopping = eventlet.spawn(handle.container.stop)
    # Asterisk's next connection is refused (its dialplan falls back), not hung up
    assert wait_for(lambda: _refused(handle.port), timeout=0.5)
    assert not call.dead  # the call in progress is still being served
    assert call.wait().variables.get("WORK_ORDER_ID")
    stopping.wait()


def test_a_stop_hangs_up_sessions_still_running_after_the_drain_bound(metrics):
    handle = start_container({"stop_drain_seconds": 0.3, "command_timeout_seconds": 60})
    raw = handle.raw()
    raw.send_env("95598")
    assert raw.command() == ["ANSWER"]  # and Asterisk never answers it
    started = time.monotonic()
    stop_container(handle)
    assert time.monotonic() - started < 3
    assert raw.closed_by_server(timeout=1)
    assert metrics.delta().get("hangup") == 1


def _refused(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
    except OSError:
        return True
    return False


def test_bad_configuration_is_refused():
    with pytest.raises(ConfigurationError):
        start_container(FASTAGI_ADDRESS="localhost:http")
    with pytest.raises(ConfigurationError):
        start_container({"max_line_bytes": -1})

    class Twice:
        name = "twice"

        @fastagi("95598")
        def one(self, channel: AgiChannel) -> None: ...

        @fastagi("/95598/")
        def two(self, channel: AgiChannel) -> None: ...

    container = ServiceContainer(Twice, {"FASTAGI_ADDRESS": "127.0.0.1:0"})
    with pytest.raises(ConfigurationError, match="two entrypoints"):
        container.start()


def test_default_address_and_port_before_start():
    container = ServiceContainer(AgiTestService, {})
    server = next(e for e in container.subextensions if type(e).__name__ == "FastAgiServer")
    assert server.port is None
    assert server.bind_addr == ("127.0.0.1", 4573)
    assert sample("csc_agi_sessions_in_progress") >= 0
