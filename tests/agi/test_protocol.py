"""The wire format, as pure functions: environment block, replies, command quoting, limits."""

import importlib
import importlib.util
import random

import pytest

from asterisk_sim import parse_args
from svckit.agi import metrics as agi_metrics
from svckit.agi.channel import AgiLimits
from svckit.agi.protocol import (
    AgiCommandError,
    AgiCommandTooLong,
    AgiHangup,
    AgiProtocolError,
    AgiUsageError,
    build_command,
    env_args,
    parse_env_line,
    parse_response,
    query_of,
    quote_arg,
    read_env_block,
    response_to_pyst,
    script_of,
)

from .conftest import HOSTILE_NAMES, HOSTILE_WITH_NEWLINES, TEN_KB

# -- environment block ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("agi_channel: PJSIP/trunk-0000002a", ("agi_channel", "PJSIP/trunk-0000002a")),
        ("agi_accountcode:", ("agi_accountcode", "")),
        ("agi_accountcode: ", ("agi_accountcode", "")),
        ("agi_threadid: -1239529728", ("agi_threadid", "-1239529728")),
        ("agi_request: agi://10.0.0.1:4573/95598?x=1", ("agi_request", "agi://10.0.0.1:4573/95598?x=1")),
        ("agi_calleridname:  2 lead, 1 trail ", ("agi_calleridname", " 2 lead, 1 trail ")),
        ("agi_calleridname:a:b: c", ("agi_calleridname", "a:b: c")),
        ("agi_dnid: 95598\r", ("agi_dnid", "95598")),
        ("no colon here", None),
        (": value without key", None),
    ],
)  # fmt: skip
def test_parse_env_line(line, expected):
    assert parse_env_line(line) == expected


FASTAGI_ENV = [
    "agi_network: yes",
    "agi_network_script: 95598?lang=zh",
    "agi_request: agi://pbx.example:4573/95598?lang=zh",
    "agi_channel: PJSIP/trunk-0000002a",
    "agi_uniqueid: 1764100000.42",
    "agi_callerid: 13800138000",
    "agi_calleridname: Zhang San",
    "agi_accountcode:",
    "agi_threadid: -1239529728",
    *[f"agi_arg_{n}: a{n}" for n in (1, 2, 10, 3, 11)],
    "",
    "200 result=0",  # what follows the block is not part of it
]


def test_read_env_block_fastagi():
    lines = iter(FASTAGI_ENV)
    env = read_env_block(lines)
    assert env["agi_network"] == "yes"
    assert env["agi_accountcode"] == ""
    assert env["agi_threadid"] == "-1239529728"
    assert env_args(env) == ["a1", "a2", "a3", "a10", "a11"]
    assert script_of(env) == "95598"
    assert query_of(env) == {"lang": "zh"}
    assert next(lines) == "200 result=0"


def test_read_env_block_without_network_lines_uses_agi_request_path():
    env = read_env_block(["agi_request: agi://10.0.0.1:4573/95598/?x=1&y=", "agi_arg_1: z", ""])
    assert script_of(env) == "95598"
    assert query_of(env) == {"x": "1", "y": ""}
    assert env_args(env) == ["z"]


def test_read_env_block_first_value_wins():
    env = read_env_block(["agi_network_script: 95598", "agi_network_script: evil", ""])
    assert script_of(env) == "95598"


def test_read_env_block_limits_and_eof():
    with pytest.raises(AgiProtocolError) as exc:
        read_env_block([f"agi_k{n}: v" for n in range(10)] + [""], max_env_lines=9)
    assert exc.value.kind == "too_many_env_lines"
    assert read_env_block([f"agi_k{n}: v" for n in range(9)] + [""], max_env_lines=9)
    with pytest.raises(AgiProtocolError) as exc:
        read_env_block(["agi_network: yes", "agi_channel: x"])
    assert exc.value.kind == "env_incomplete"


def test_script_of_edge_cases():
    assert script_of({"agi_network_script": "/95598/"}) == "95598"
    assert (
        script_of({"agi_network_script": "", "agi_request": "agi://h/ivr/main?a=1"}) == "ivr/main"
    )
    assert script_of({}) == ""


# -- replies ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "code", "result", "data", "extras"),
    [
        (["200 result=0"], 200, "0", "", {}),
        (["200 result=1 (speech) endpos=1234 results=1"], 200, "1", "speech",
         {"endpos": "1234", "results": "1"}),
        (["200 result=49 endpos=2240"], 200, "49", "", {"endpos": "2240"}),
        (["200 result= (timeout)"], 200, "", "timeout", {}),
        (["200 result=49 (timeout)"], 200, "49", "timeout", {}),
        (["200 result=0 (timeout) endpos=8000"], 200, "0", "timeout", {"endpos": "8000"}),
        (["100 Trying...", "100 Trying...", "200 result=0"], 200, "0", "", {}),
        (["200 result=1 (a (b) c) x=1)"], 200, "1", "a (b) c) x=1", {}),
        (["200 result=1 ()"], 200, "1", "", {}),
        (['200 result=1 (speech) endpos=9 results=1 score0=900 text0="hi there" grammar0=g'],
         200, "1", "speech",
         {"endpos": "9", "results": "1", "score0": "900", "text0": '"hi there"', "grammar0": "g"}),
        (["200 result=1 (digit) digit=5 endpos=0"], 200, "1", "digit",
         {"digit": "5", "endpos": "0"}),
    ],
)  # fmt: skip
def test_parse_response_success(lines, code, result, data, extras):
    response = parse_response(lines)
    assert (response.code, response.result, response.data, response.extras) == (
        code,
        result,
        data,
        extras,
    )


def test_parse_response_timeout_flag_and_pyst_shape():
    response = parse_response(["200 result=12 (timeout)"])
    assert response.timed_out
    assert response_to_pyst(parse_response(["200 result=49 endpos=2240"])) == {
        "result": ("49", ""),
        "endpos": ("2240", ""),
    }


@pytest.mark.parametrize(
    ("lines", "reason"),
    [
        (["HANGUP"], "hangup_line"),
        (["HANGUP", "200 result=0"], "hangup_line"),
        ([], "eof"),
        (["100 Trying..."], "eof"),
        (["200 result=-1"], "result"),
        (["200 result=-1 endpos=0"], "result"),
        (["511 Command Not Permitted on a dead channel or intercept routine"], "dead_channel"),
        (["511 Command Not Permitted on a dead channel"], "dead_channel"),
        (["520-Invalid command syntax.  Proper usage follows:", "Usage: X"], "eof"),
    ],
)
def test_parse_response_hangups(lines, reason):
    with pytest.raises(AgiHangup) as exc:
        parse_response(lines)
    assert exc.value.reason == reason


def test_parse_response_510_and_520():
    with pytest.raises(AgiCommandError, match="Invalid or unknown command"):
        parse_response(["510 Invalid or unknown command"])
    lines = iter(
        [
            "520-Invalid command syntax.  Proper usage follows:",
            "Usage: GET DATA <file to be streamed> [timeout] [maxdigits]",
            "",
            " Stream the given file, and receive DTMF data.",
            "520 End of proper usage.",
            "200 result=0",
        ]
    )
    with pytest.raises(AgiUsageError) as exc:
        parse_response(lines)
    assert "Usage: GET DATA <file to be streamed>" in exc.value.usage
    assert exc.value.usage.endswith("End of proper usage.")
    assert parse_response(lines).result == "0"  # the block was consumed whole
    with pytest.raises(AgiUsageError, match="Proper usage not available"):
        parse_response(["520 Invalid command syntax.  Proper usage not available."])


@pytest.mark.parametrize(
    "line",
    ["", "garbage", "\ufffd\ufffd\ufffd", "200", "200 noresult", "404 Not Found", "2000 result=1"],
)
def test_parse_response_bad(line):
    with pytest.raises(AgiProtocolError) as exc:
        parse_response([line])
    assert exc.value.kind == "bad_response"


# -- command quoting --------------------------------------------------------------------------


def _round_trip(value: str) -> list[str]:
    line = build_command("SET VARIABLE", ["NAME", value], 1 << 20)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    return parse_args(line[:-1].decode("utf-8"))


@pytest.mark.parametrize("value", HOSTILE_NAMES + HOSTILE_WITH_NEWLINES + [TEN_KB])
def test_quoted_arguments_parse_back_exactly(value):
    expected = value.replace("\r", "").replace("\n", "").replace("\x00", "")
    assert _round_trip(value) == ["SET", "VARIABLE", "NAME", expected]


def test_quoting_fuzz():
    rng = random.Random(95598)
    alphabet = " \t\"\\'ab;|&$()\r\n\x00张"
    for _ in range(2000):
        value = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24)))
        expected = value.replace("\r", "").replace("\n", "").replace("\x00", "")
        assert _round_trip(value)[3] == expected


def test_quote_arg_is_idempotent_and_pyst_quoting_is_not_doubled():
    once = quote_arg('a "b"')
    assert quote_arg(once) is once
    assert build_command("SET VARIABLE", [quote_arg("X"), once], 2047) == (
        b'SET VARIABLE "X" "a \\"b\\""\n'
    )


def test_build_command_limits():
    fits = 2047 - len('VERBOSE ""\n')
    assert len(build_command("VERBOSE", ["x" * fits], 2047)) == 2047
    with pytest.raises(AgiCommandTooLong):
        build_command("VERBOSE", ["x" * (fits + 1)], 2047)
    with pytest.raises(AgiCommandTooLong):  # bytes, not characters
        build_command("VERBOSE", ["张" * 700], 2047)
    for bad in ("", "SET-VARIABLE", 'EXEC "x"', "GET DATA;"):
        with pytest.raises(ValueError):
            build_command(bad, [], 2047)


def test_asterisk_parse_args_semantics():
    assert parse_args('STREAM FILE "welcome" "" "0"') == ["STREAM", "FILE", "welcome", "", "0"]
    assert parse_args("a\\ b  c\td") == ["a b", "c", "d"]
    assert parse_args('x"y z"w "q\\"uote" \\\\') == ["xy zw", 'q"uote', "\\"]
    assert parse_args("  ") == []
    assert len(parse_args(" ".join("w" * 200))) == 127


# -- limits and metrics -----------------------------------------------------------------------


def test_limits_from_config():
    limits = AgiLimits.from_config({"max_line_bytes": "100", "env_timeout_seconds": 1})
    assert limits.max_line_bytes == 100 and limits.env_timeout_seconds == 1.0
    assert limits.command_timeout_seconds == 60 and limits.max_env_lines == 128
    assert AgiLimits.from_config(None) == AgiLimits()
    with pytest.raises(ValueError, match="unknown"):
        AgiLimits.from_config({"max_lines": 5})
    with pytest.raises(ValueError, match="positive"):
        AgiLimits.from_config({"env_timeout_seconds": 0})


def test_metrics_survive_reimport():
    reloaded = importlib.reload(agi_metrics)
    assert reloaded.SESSIONS is agi_metrics.SESSIONS
    spec = importlib.util.spec_from_file_location("agi_metrics_copy", agi_metrics.__file__)
    copy = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copy)
    assert copy.PROTOCOL_ERRORS is agi_metrics.PROTOCOL_ERRORS
    assert copy.SESSION_DURATION is agi_metrics.SESSION_DURATION
    assert copy.SESSIONS_IN_PROGRESS is agi_metrics.SESSIONS_IN_PROGRESS
