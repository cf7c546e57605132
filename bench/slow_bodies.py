"""Slow uploads against the gateway (issue 10): N connections send a Content-Length and then the
body a byte at a time (or not at all); meanwhile a normal request's latency is measured.

Starts the gateway in this process (its production settings: max_workers 50, the default body
limit and body timeout) on the local RabbitMQ, unless ``--url`` names a running one. The normal
request is ``GET /api/openapi.json``, which takes a gateway worker like any route.

    python bench/slow_bodies.py [--slow 50] [--requests 40] [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import argparse  # noqa: E402
import socket  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from nameko.web.server import WebServer  # noqa: E402

from gateway.service import GatewayService  # noqa: E402


def start_gateway(amqp_uri: str) -> tuple[ServiceContainer, str]:
    config = {
        "AMQP_URI": amqp_uri, "WEB_SERVER_ADDRESS": "127.0.0.1:0", "max_workers": 50,
        "GATEWAY": {"token_secret": "bench-secret-of-at-least-thirty-two-bytes"},
    }
    container = ServiceContainer(GatewayService, config)
    container.start()
    server = next(e for e in container.subextensions if isinstance(e, WebServer))
    return container, f"http://127.0.0.1:{server._sock.getsockname()[1]}"


def latencies(url: str, count: int) -> list[float]:
    session, seen = requests.Session(), []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(f"{url}/api/openapi.json", timeout=120)
        response.raise_for_status()
        seen.append(time.perf_counter() - started)
    return seen


def trickle(host: str, port: int, stop: list[bool]) -> None:
    """One slow upload: headers with Content-Length: 100000, then a byte every 0.2 s."""
    conn = socket.create_connection((host, port))
    conn.sendall(b"POST /api/auth/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                 b"\r\nContent-Length: 100000\r\n\r\n")
    try:
        while not stop[0]:
            conn.sendall(b" ")
            eventlet.sleep(0.2)
    except OSError:
        pass  # the gateway gave up on us: what it should do
    finally:
        conn.close()


def report(name: str, seen: list[float]) -> None:
    ordered = sorted(seen)
    print(f"{name:<28} n={len(seen):>3}  p50 {statistics.median(ordered) * 1000:7.1f} ms  "
          f"max {ordered[-1] * 1000:7.1f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--slow", type=int, default=50)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--url")
    parser.add_argument("--amqp", default="pyamqp://guest:guest@127.0.0.1:5672/")
    args = parser.parse_args()
    container = None
    url = args.url
    if url is None:
        container, url = start_gateway(args.amqp)
    host, port = url.split("//")[1].split(":")
    try:
        latencies(url, 3)  # warm up
        report("no slow uploads", latencies(url, args.requests))
        stop = [False]
        threads = [eventlet.spawn(trickle, host, int(port), stop) for _ in range(args.slow)]
        eventlet.sleep(1.0)
        report(f"{args.slow} slow uploads", latencies(url, args.requests))
        stop[0] = True
        for thread in threads:
            thread.wait()
    finally:
        if container is not None:
            container.stop()


if __name__ == "__main__":
    main()
