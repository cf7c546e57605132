"""``python -m asterisk_sim call|load|ami``: one call, or a load of calls, against a FastAGI
server; ``ami`` serves Asterisk's manager interface (the AMI simulator, issue 16), and ``call
--ami-port`` then plays the rest of the call there (ringing, answer, talk, hang-up)."""

from __future__ import annotations

import argparse
import os
import socket
import sys
import threading

from asterisk_sim.ami import AmiSimulator
from asterisk_sim.call import place_call
from asterisk_sim.load import run_load
from svckit.ami.protocol import MessageReader, encode

SHOWN_VARIABLES = ("WORK_ORDER_ID", "ROUTE_TARGET")


def _digits(value: str) -> str | None:
    """``--digits 2``; ``-`` or ``timeout`` for a GET DATA that times out with nothing keyed."""
    return None if value in ("-", "timeout") else value


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m asterisk_sim", description=__doc__)
    sub = parser.add_subparsers(dest="mode", required=True)
    for name in ("call", "load"):
        mode = sub.add_parser(name)
        mode.add_argument("--host", default="127.0.0.1")
        mode.add_argument("--port", type=int, default=4573)
        mode.add_argument("--script", default="95598")
        mode.add_argument("--timeout", type=float, default=10.0, help="seconds per command")
    call = sub.choices["call"]
    call.add_argument("--caller", default="13800138000", help="caller ID number")
    call.add_argument("--name", default="Zhang San", help="caller ID name")
    call.add_argument("--dnid", default="95598")
    call.add_argument(
        "--digits", action="append", type=_digits, help="one GET DATA answer; repeat ('-': timeout)"
    )
    call.add_argument("--hangup-at", help="command name or 0-based index where the caller hangs up")
    call.add_argument(
        "--hangup-mode", default="hangup_line", choices=("hangup_line", "result", "dead", "close")
    )
    call.add_argument("--trying", action="store_true", help="send '100 Trying...' before replies")
    call.add_argument("--arg", action="append", default=[], help="an agi_arg_N; repeat")
    call.add_argument("--ami-port", type=int, help="the AMI simulator: play the call after the IVR")
    call.add_argument("--outcome", default="answer", choices=("answer", "abandon", "no_answer"))
    call.add_argument("--ring", type=float, default=2.0, help="seconds the phone rings")
    call.add_argument("--talk", type=float, default=5.0, help="seconds of talk when answered")
    ami = sub.add_parser("ami")
    ami.add_argument("--host", default="127.0.0.1")
    ami.add_argument("--port", type=int, default=5038)
    ami.add_argument("--username", default="csc-staffing")
    ami.add_argument("--secret", default=os.environ.get("AMI_SECRET", "demo-ami-secret"))
    ami.add_argument("--members", default="8001-8011,8101-8102,8201",
                     help="the queue's agent extensions (PJSIP), ranges allowed")
    load = sub.choices["load"]
    load.add_argument("--concurrency", type=int, default=50)
    load.add_argument("--duration", type=float, default=10.0)
    load.add_argument("--processes", type=int, default=1)
    return parser


def _call(opts: argparse.Namespace) -> int:
    hangup_at = opts.hangup_at
    if hangup_at is not None and hangup_at.isdigit():
        hangup_at = int(hangup_at)
    transcript = place_call(
        opts.host,
        opts.port,
        script=opts.script,
        caller_num=opts.caller,
        caller_name=opts.name,
        dnid=opts.dnid,
        args=opts.arg,
        digits=opts.digits if opts.digits is not None else ["2"],
        hangup_at=hangup_at,
        hangup_mode=opts.hangup_mode,
        trying=opts.trying,
        timeout=opts.timeout,
    )
    print(transcript.format())
    print("channel variables:")
    for name in SHOWN_VARIABLES:
        print(f"  {name} = {transcript.variables.get(name, '(not set)')}")
    if opts.ami_port and transcript.variables.get("ROUTE_TARGET"):
        _play_on_ami(opts, transcript)
    return 0 if transcript.ended in ("completed", "server_hangup", "caller_hangup") else 1


def _play_on_ami(opts: argparse.Namespace, transcript) -> None:
    """Ask the AMI simulator (SimPlayCall, its own action) to play the rest of the call."""
    with socket.create_connection((opts.host, opts.ami_port), timeout=5) as sock:
        reader = MessageReader(sock)
        reader.banner()
        for pairs in (
            [("Action", "Login"), ("Username", os.environ.get("AMI_USERNAME", "csc-staffing")),
             ("Secret", os.environ.get("AMI_SECRET", "demo-ami-secret"))],
            [("Action", "SimPlayCall"), ("Uniqueid", transcript.uniqueid),
             ("RouteTarget", transcript.variables["ROUTE_TARGET"]),
             ("WorkOrderId", transcript.variables.get("WORK_ORDER_ID", "")),
             ("Outcome", opts.outcome), ("RingSeconds", opts.ring),
             ("TalkSeconds", opts.talk)]):
            sock.sendall(encode(pairs))
            while (reply := reader.message()) is not None and not reply.response:
                continue
            print(f"AMI {pairs[0][1]}: {reply.response if reply else 'closed'} "
                  f"{reply.get('Message') if reply else ''}")


def _ami(opts: argparse.Namespace) -> int:
    members = []
    for part in opts.members.split(","):
        first, _, last = part.strip().partition("-")
        members += [f"PJSIP/{n}" for n in range(int(first), int(last or first) + 1)]
    sim = AmiSimulator({opts.username: opts.secret}, members=[(m, m) for m in members])
    port = sim.start(opts.host, opts.port)
    print(f"AMI simulator on {opts.host}:{port} (user {opts.username}), queue 95598: "
          f"{len(members)} phones", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sim.stop()
    return 0


def _load(opts: argparse.Namespace) -> int:
    report = run_load(
        opts.host,
        opts.port,
        opts.concurrency,
        opts.duration,
        processes=opts.processes,
        script=opts.script,
        timeout=opts.timeout,
    )
    print(report.format())
    if report.connect_errors and not report.completed:
        print(f"error: could not connect to {opts.host}:{opts.port}", file=sys.stderr)
        return 2
    return 1 if report.failed or report.connect_errors else 0


def main(argv: list[str] | None = None) -> int:
    opts = _parser().parse_args(argv)
    try:
        if opts.mode == "ami":
            return _ami(opts)
        return _call(opts) if opts.mode == "call" else _load(opts)
    except OSError as exc:
        print(f"error: cannot reach FastAGI server {opts.host}:{opts.port}: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
