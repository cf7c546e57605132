"""Read load on the gateway: ``GET /api/work-orders/{id}`` from many client threads at once.

Starts its own staffing, calls and gateway (subprocesses, as bench/e2e.py: fresh SQLite
databases or PostgreSQL with --pg, a RabbitMQ vhost of its own, ports apart from `make run`),
places one simulated call to open a work order, logs in as the deputy team lead (who may read
any hotline order) and then reads that one order from ``--threads`` client threads (each with
its own keep-alive connection) for ``--duration`` seconds. Prints requests/s and the p50, p95
and p99 latencies (client side, from sending the request to the last byte of the answer).

``--client wrk`` drives the same load with wrk (Debian's package; C, so the load generator does
not take the CPU the gateway needs on a 2-core machine): ``--threads`` connections on two wrk
threads; p95 is then wrk's p90.

    python bench/api_reads.py --duration 20 --threads 50 [--processes 2] [--pg]
    python bench/api_reads.py --url http://127.0.0.1:8000/api --username lead01 --password demo \
        --order <id>        # against a running system instead
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import re
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from asterisk_sim import place_call  # noqa: E402
from bench.e2e import System, cpu_seconds, free_port, summary  # noqa: E402

DEMO_PASSWORD = "demo"


class ApiSystem(System):
    """bench/e2e.py's system plus the gateway, on free ports (other runs may use e2e's)."""

    def __init__(self, use_pg: bool, gateway_workers: int) -> None:
        super().__init__(use_pg, max_workers=200)
        self.agi, self.gateway = free_port(), free_port()
        self.http = {"calls": free_port(), "staffing": free_port()}
        self.env.update({
            "FASTAGI_ADDRESS": f"127.0.0.1:{self.agi}",
            "CALLS_HTTP_ADDRESS": f"127.0.0.1:{self.http['calls']}",
            "STAFFING_HTTP_ADDRESS": f"127.0.0.1:{self.http['staffing']}",
            "GATEWAY_ADDRESS": f"127.0.0.1:{self.gateway}",
            "GATEWAY_MAX_WORKERS": str(gateway_workers),
            "GATEWAY_TOKEN_SECRET": "bench-secret-of-at-least-thirty-two-bytes",
            "DEMO_PASSWORD": DEMO_PASSWORD,
        })

    def start(self) -> None:
        import bench.e2e as e2e  # its readiness check polls these ports

        e2e.CALLS_HTTP, e2e.STAFFING_HTTP = self.http["calls"], self.http["staffing"]
        super().start()
        self.start_gateway(self.gateway)


def token(api: str, username: str, password: str) -> str:
    reply = requests.post(f"{api}/auth/token", json={"username": username, "password": password},
                          timeout=30)
    reply.raise_for_status()
    body = reply.json()
    return body.get("access_token") or body["token"]


def open_order(api: str, headers: dict, agi_port: int) -> str:
    """A work order opened by a simulated call (an inquiry), once the calls service has it."""
    transcript = place_call("127.0.0.1", agi_port, digits=["1"], caller_num="13900001111")
    order = transcript.variables["WORK_ORDER_ID"]
    deadline = time.monotonic() + 10
    while requests.get(f"{api}/work-orders/{order}", headers=headers, timeout=5).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError(f"work order {order} cannot be read")
        time.sleep(0.2)
    return order


def _readers(args: tuple[str, dict, int, float]) -> tuple[list[float], int]:
    """One process of reader threads: latencies (s) of good answers, and the failures."""
    url, headers, threads, duration = args
    latencies: list[float] = []
    failures = [0]
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def reader() -> None:
        session = requests.Session()
        mine, failed = [], 0
        while time.monotonic() < deadline:
            started = time.perf_counter()
            try:
                ok = session.get(url, headers=headers, timeout=30).status_code == 200
            except requests.RequestException:
                ok = False
            if ok:
                mine.append(time.perf_counter() - started)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            failures[0] += failed

    workers = [threading.Thread(target=reader, daemon=True) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(duration + 60)
    return latencies, failures[0]


def drive(url: str, headers: dict, threads: int, processes: int, duration: float):
    shares = [threads // processes + (i < threads % processes) for i in range(processes)]
    started = time.monotonic()
    if processes == 1:
        parts = [_readers((url, headers, threads, duration))]
    else:
        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.map(_readers, [(url, headers, n, duration) for n in shares])
    latencies = [v for part, _ in parts for v in part]
    return latencies, sum(failed for _, failed in parts), time.monotonic() - started


WRK_LATENCY = re.compile(r"^\s+(50|90|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def drive_wrk(url: str, headers: dict, connections: int, duration: float) -> dict:
    """The load from wrk: requests/s, failures and the p50/p90/p99 it measured."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk, or --client threads")
    command = ["wrk", "--latency", "-t", "2", "-c", str(connections), "-d", f"{duration:g}s",
               *[arg for name, value in headers.items() for arg in ("-H", f"{name}: {value}")],
               url]
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    ms = {int(p): float(v) * WRK_UNITS[unit] for p, v, unit in WRK_LATENCY.findall(out)}
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    return {
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "failures": int(errors.group(1)) if errors else 0,
        "socket_errors": socket_errors.group(1) if socket_errors else None,
        "requests_per_s": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": round(ms[50], 1), "p95_ms": round(ms[90], 1), "p99_ms": round(ms[99], 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--threads", type=int, default=50, help="client threads in all")
    parser.add_argument("--processes", type=int, default=1, help="client processes")
    parser.add_argument("--client", choices=("threads", "wrk"), default="threads")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--gateway-workers", type=int, default=50)
    parser.add_argument("--url", help="a running gateway's /api instead of starting one")
    parser.add_argument("--username", default="lead01")
    parser.add_argument("--password", default=DEMO_PASSWORD)
    parser.add_argument("--order", help="the work order to read (with --url)")
    opts = parser.parse_args()

    system = None
    if opts.url:
        api = opts.url.rstrip("/")
    else:
        system = ApiSystem(opts.pg, opts.gateway_workers)
        system.start()
        api = f"http://127.0.0.1:{system.gateway}/api"
    try:
        headers = {"Authorization": f"Bearer {token(api, opts.username, opts.password)}"}
        order = opts.order or open_order(api, headers, system.agi if system else 0)
        url = f"{api}/work-orders/{order}"
        drive(url, headers, min(opts.threads, 10), 1, 2.0)  # warm up connections and caches
        pids = {}
        if system is not None:
            pids = dict(zip(("staffing", "calls", "gateway"),
                            (child.pid for child in system.children), strict=True))
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        if opts.client == "wrk":
            load = drive_wrk(url, headers, opts.threads, opts.duration)
        else:
            latencies, failures, elapsed = drive(url, headers, opts.threads, opts.processes,
                                                 opts.duration)
            load = {"requests": len(latencies), "failures": failures,
                    "requests_per_s": round(len(latencies) / elapsed, 1), **summary(latencies)}
        cpu_used = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
    finally:
        if system is not None:
            system.stop()
    report = {
        "backend": "running system" if opts.url else ("postgresql" if opts.pg else "sqlite"),
        "client": opts.client,
        "threads": opts.threads,
        "processes": opts.processes,
        "duration_s": opts.duration,
        **load,
        "cpu_ms_per_request": {
            name: round(1000 * used / max(1, load["requests"]), 2)
            for name, used in cpu_used.items()
        },
    }
    print(json.dumps(report, indent=2))
    return 0 if load["requests"] and not load["failures"] else 1


if __name__ == "__main__":
    sys.exit(main())
