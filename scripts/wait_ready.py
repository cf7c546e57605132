"""Wait until every service of `make run` answers, or fail with the log to read."""

from __future__ import annotations

import os
import socket
import sys
import time

# The FastAGI port is not probed: a probe would count as a broken AGI session. The calls
# container starts its AGI listener and its metrics server together.
CHECKS = {
    "calls (metrics)": os.environ.get("CALLS_HTTP_ADDRESS", "127.0.0.1:9101"),
    "staffing (metrics)": os.environ.get("STAFFING_HTTP_ADDRESS", "127.0.0.1:9102"),
    "visits (metrics)": os.environ.get("VISITS_HTTP_ADDRESS", "127.0.0.1:9104"),
    "assets (metrics)": os.environ.get("ASSETS_HTTP_ADDRESS", "127.0.0.1:9103"),
    "inbox (metrics)": os.environ.get("INBOX_HTTP_ADDRESS", "127.0.0.1:9105"),
    "gateway": os.environ.get("GATEWAY_ADDRESS", "127.0.0.1:8000"),
}


def answers(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        with socket.create_connection((host if host != "0.0.0.0" else "127.0.0.1", int(port)), 1):
            return True
    except OSError:
        return False


def main(timeout: float = 60.0) -> int:
    deadline = time.monotonic() + timeout
    waiting = dict(CHECKS)
    while waiting and time.monotonic() < deadline:
        waiting = {name: addr for name, addr in waiting.items() if not answers(addr)}
        time.sleep(0.3)
    for name, address in waiting.items():
        print(f"{name} is not answering on {address}; see var/log/", file=sys.stderr)
    return 1 if waiting else 0


if __name__ == "__main__":
    sys.exit(main())
