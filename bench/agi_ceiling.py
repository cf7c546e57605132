"""The FastAGI ceiling: calls/s and connect -> SET VARIABLE WORK_ORDER_ID latency, no-op handler.

A child process runs a nameko ServiceContainer whose ``@fastagi("95598")`` handler does ANSWER,
GET DATA, SET VARIABLE WORK_ORDER_ID and returns; this process drives it with the simulator's
load mode over 127.0.0.1, so the two do not share a GIL.

    python bench/agi_ceiling.py --duration 10 --concurrency 50
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from asterisk_sim.load import run_load  # noqa: E402

STARTUP_TIMEOUT_S = 30.0


def serve(max_workers: int) -> None:
    """Child process: a no-op FastAGI service on 127.0.0.1:<free port>; prints the port."""
    import eventlet

    eventlet.monkey_patch()
    from nameko.containers import ServiceContainer

    from svckit.agi import AgiChannel, fastagi, get_server

    class NoopAgi:
        name = "agi_noop"

        @fastagi("95598")
        def hotline(self, channel: AgiChannel) -> None:
            channel.answer()
            channel.get_data("menu", timeout_ms=5000, max_digits=1)
            channel.set_variable("WORK_ORDER_ID", "1")

    config = {"FASTAGI_ADDRESS": "127.0.0.1:0", "max_workers": max_workers}
    container = ServiceContainer(NoopAgi, config)
    container.start()
    print(f"LISTENING {get_server(container).port}", flush=True)
    container.wait()


def _start_server(concurrency: int) -> tuple[subprocess.Popen, int]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
    }
    child = subprocess.Popen(
        [sys.executable, str(Path(__file__).resolve()), "--serve", "--max-workers",
         str(concurrency * 2 + 10)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    timer = threading.Timer(STARTUP_TIMEOUT_S, child.kill)
    timer.start()
    try:
        line = child.stdout.readline()
    finally:
        timer.cancel()
    if not line.startswith("LISTENING "):
        child.kill()
        raise RuntimeError(f"FastAGI bench server did not start: {child.stderr.read()[-2000:]}")
    return child, int(line.split()[1])


def _stop_server(child: subprocess.Popen) -> None:
    child.terminate()
    try:
        child.wait(5)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait(5)


def measure_noop_ceiling(
    duration_s: float = 10.0, concurrency: int = 50, processes: int = 1
) -> dict[str, float]:
    """Run the load for ``duration_s`` seconds; calls/s and p50/p95/p99 latency in ms.

    Latency is connect -> ``SET VARIABLE WORK_ORDER_ID`` received by the simulated Asterisk.
    Extra keys: completed/failed call counts, concurrency, duration_s.
    """
    if not 0 < duration_s <= 600:
        raise ValueError("duration_s must be in (0, 600]")
    child, port = _start_server(concurrency)
    try:
        report = run_load("127.0.0.1", port, concurrency, duration_s, processes=processes)
    finally:
        _stop_server(child)
    return {
        **report.summary(),
        "completed": report.completed,
        "failed": report.failed + report.connect_errors,
        "concurrency": concurrency,
        "duration_s": duration_s,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--processes", type=int, default=1, help="load-generator processes")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--max-workers", type=int, default=110, help=argparse.SUPPRESS)
    opts = parser.parse_args(argv)
    if opts.serve:
        serve(opts.max_workers)
        return 0
    figures = measure_noop_ceiling(opts.duration, opts.concurrency, opts.processes)
    print(json.dumps(figures))
    return 0 if figures["completed"] else 1


if __name__ == "__main__":
    sys.exit(main())
