"""A login flood beside live calls (issue 10): does hashing passwords touch call routing?

Starts staffing, calls and the gateway as `make run` does (subprocesses, fresh SQLite databases
or PostgreSQL with --pg, a RabbitMQ vhost of its own, ports apart from `make run`; bench/e2e.py's
System), then for ``--duration`` seconds runs ``--flooders`` threads posting wrong passwords to
``POST /api/auth/token`` as fast as answers come, while ``--callers`` simulated callers place
95598 calls one after another through the FastAGI simulator. It counts the calls sent to the
fallback queue (ROUTE_TARGET = the fallback, and the calls service's csc_routing_fallbacks_total)
and the time from connect to WORK_ORDER_ID (menu, order, routing).

    python bench/login_flood.py                   # the flood, throttling on (the default config)
    python bench/login_flood.py --no-throttle     # the flood reaches the hashing every time
    python bench/login_flood.py --flooders 0      # the same calls without a flood
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import re
import sys
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from asterisk_sim import place_call  # noqa: E402
from bench.e2e import AGI_PORT, CALLS_HTTP, System, summary  # noqa: E402

GATEWAY_PORT = 18000
FALLBACK = "Queue(95598)"
DEMO_USERS = [f"agent{n:02d}" for n in range(1, 12)] + ["leader01", "leader02", "lead01"]


class FloodSystem(System):
    """bench/e2e.py's staffing and calls, plus the gateway."""

    def __init__(self, use_pg: bool, throttle: bool) -> None:
        super().__init__(use_pg, max_workers=200)
        self.env["GATEWAY_ADDRESS"] = f"127.0.0.1:{GATEWAY_PORT}"
        if not throttle:
            self.env.update(LOGIN_USER_FREE_FAILURES="1000000", LOGIN_PAIR_FREE_FAILURES="1000000",
                            LOGIN_ADDRESS_FREE_FAILURES="1000000", LOGIN_LOCKOUT_AFTER="0")

    def start(self) -> None:
        super().start()
        self.start_gateway(GATEWAY_PORT)


def flood(stop: threading.Event, seed: int, answers: collections.Counter,
          lock: threading.Lock) -> None:
    """One wrong-password client: known and unknown usernames, as fast as answers come."""
    rng = random.Random(seed)
    session = requests.Session()
    url = f"http://127.0.0.1:{GATEWAY_PORT}/api/auth/token"
    while not stop.is_set():
        username = rng.choice(DEMO_USERS + [f"nobody{rng.randrange(1000)}"])
        try:
            status = session.post(url, data={"grant_type": "password", "username": username,
                                             "password": f"wrong-{rng.random()}"},
                                  timeout=30).status_code
        except requests.RequestException:
            status = "error"
        with lock:
            answers[status] += 1


def caller(stop: threading.Event, seed: int, results: list, lock: threading.Lock) -> None:
    rng = random.Random(seed)
    while not stop.is_set():
        try:
            transcript = place_call(
                "127.0.0.1", AGI_PORT, digits=[rng.choice("1234")],
                caller_num=f"139{rng.randrange(10**8):08d}",
                uniqueid=f"{time.time():.6f}.{rng.randrange(10**9)}",
            )
            entry = (transcript.variables.get("ROUTE_TARGET"),
                     transcript.latency_to("WORK_ORDER_ID"), time.monotonic())
        except OSError:
            entry = (None, None, time.monotonic())
        with lock:
            results.append(entry)
        time.sleep(0.2)


def fallbacks_counted() -> float:
    page = requests.get(f"http://127.0.0.1:{CALLS_HTTP}/metrics", timeout=5).text
    found = re.search(r"^csc_routing_fallbacks_total ([0-9.e+]+)$", page, re.M)
    return float(found.group(1)) if found else 0.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0)
    parser.add_argument("--flooders", type=int, default=20)
    parser.add_argument("--callers", type=int, default=2)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--no-throttle", action="store_true",
                        help="throttling and lockout off: every wrong password is hashed")
    opts = parser.parse_args()

    system = FloodSystem(opts.pg, throttle=not opts.no_throttle)
    system.start()
    try:
        place_call("127.0.0.1", AGI_PORT, digits=["1"])  # warm up
        fallbacks_before = fallbacks_counted()
        stop, lock = threading.Event(), threading.Lock()
        answers: collections.Counter = collections.Counter()
        results: list = []
        threads = [threading.Thread(target=flood, args=(stop, n, answers, lock), daemon=True)
                   for n in range(opts.flooders)]
        threads += [threading.Thread(target=caller, args=(stop, 1000 + n, results, lock),
                                     daemon=True) for n in range(opts.callers)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(opts.duration)
        stop.set()
        for thread in threads:
            thread.join(40)
        fallbacks_metric = fallbacks_counted() - fallbacks_before
    finally:
        system.stop()

    completed = [r for r in results if r[0]]
    report = {
        "run": uuid.uuid4().hex[:8],
        "backend": "postgresql" if opts.pg else "sqlite",
        "throttle": not opts.no_throttle,
        "duration_s": opts.duration,
        "flooders": opts.flooders,
        "login_answers": {str(k): v for k, v in sorted(answers.items(), key=str)},
        "calls_placed": len(results),
        "calls_completed": len(completed),
        "fallbacks": sum(1 for target, *_ in completed if target == FALLBACK),
        "fallbacks_at_s": [round(at - started, 1) for target, _, at in completed
                           if target == FALLBACK],
        "fallbacks_metric": fallbacks_metric,
        "to_work_order_id": summary([latency for _, latency, _ in completed if latency]),
    }
    print(json.dumps(report, indent=2))
    return 0 if completed and report["fallbacks"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
