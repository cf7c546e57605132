"""Where a service's CPU goes per call, from py-spy's raw (collapsed) stacks (issue 12).

Each sample is one stack of the process's running green thread (idle samples are left out by
py-spy). A sample counts for a *family*, the innermost frame that belongs to a known library
(SQL/ORM, JSON/pydantic, AMQP, ...), and for an *activity*, the entrypoint or platform loop it
runs under. Socket calls (eventlet's green sockets, where the kernel's send and receive time
shows) count for the library that made them: a publish's send is AMQP's, a query's is SQL's;
``socket_share`` says how much of all samples they are. Shares of samples times the CPU the
process used per call (from /proc) give CPU ms per call.

    py-spy record --pid PID --nonblocking --nolineno --format raw -o calls.txt
    python bench/cpu_profile.py calls.txt --service calls --cpu-ms-per-call 9.1

``bench/e2e.py --profile DIR`` records both services and prints these tables in its report.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path

# (family, path prefixes as py-spy shortens them); the innermost matching frame wins
FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("SQL/ORM", ("sqlalchemy/", "psycopg2/", "psycogreen/", "pg8000/", "sqlite3/",
                 "svckit/db.py")),
    ("JSON/pydantic", ("pydantic/", "pydantic_core/", "json/")),
    ("AMQP (kombu/amqp)", ("kombu/", "amqp/", "vine/", "nameko/amqp/")),
    ("logging", ("logging/", "svckit/logs.py")),
    ("metrics", ("prometheus_client/", "svckit/metrics.py")),
    ("eventlet", ("eventlet/", "greenlet/")),
    ("nameko", ("nameko/",)),
    ("FastAGI", ("svckit/agi/",)),
    ("HTTP (werkzeug)", ("werkzeug/",)),
    ("service code", ("services/", "contracts/", "svckit/", "bench/floor_services.py")),
)
# green socket calls: their time is the caller's (a publish's send is AMQP's)
SOCKET_IO = ("eventlet/greenio/", "socket.py", "ssl.py", "selectors.py")
FRAME = re.compile(r"^(?P<name>.*) \((?P<path>[^()]*?)(?::\d+)?\)$")


def frames(stack: str) -> list[tuple[str, str]]:
    """(function, file) of each frame, outermost first."""
    parsed = []
    for frame in stack.split(";"):
        match = FRAME.match(frame)
        parsed.append((match["name"], match["path"]) if match else (frame, ""))
    return parsed


def family(stack: list[tuple[str, str]]) -> str:
    for _, path in reversed(stack):
        if path.startswith(SOCKET_IO):
            continue
        for name, prefixes in FAMILIES:
            if path.startswith(prefixes):
                return name
    return "other (stdlib: uuid, datetime, socket ...)"


def activity(stack: list[tuple[str, str]], service: str, module: str | None = None) -> str:
    """The entrypoint (a method of the service class, in ``module``: by default
    ``services/<service>/service.py``) or platform loop a sample runs under."""
    names = [name for name, _ in stack]
    module = module or f"services/{service}/service.py"
    for name, path in stack:
        if path == module:
            return name
    if any(name.startswith("OutboxRelay.") for name in names):
        return "outbox relay"
    if any(path == "nameko/rpc.py" for _, path in stack):
        return "RPC replies and proxies (nameko)"
    if any(path.startswith(("nameko/messaging.py", "kombu/")) for _, path in stack):
        return "consuming and acking (kombu)"
    if any(path.startswith("svckit/agi/") for _, path in stack):
        return "FastAGI server"
    if any(path.startswith("nameko/containers.py") for _, path in stack):
        return "worker start and end (nameko)"
    return "other"


def read(path: Path) -> Counter:
    """Samples per stack of a py-spy raw file."""
    samples: Counter = Counter()
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            samples[stack] += int(count)
    return samples


def summarise(path: Path, service: str, cpu_ms_per_call: float, top: int = 12,
              module: str | None = None) -> dict:
    """CPU ms per call by family and by activity (entrypoints of ``module``, see
    :func:`activity`), and the functions with most own samples."""
    samples = read(path)
    total = sum(samples.values()) or 1
    by_family: Counter = Counter()
    by_activity: Counter = Counter()
    crossed: Counter = Counter()
    own: Counter = Counter()
    socket_io = 0
    for stack, count in samples.items():
        parsed = frames(stack)
        socket_io += count if parsed[-1][1].startswith(SOCKET_IO) else 0
        kind, under = family(parsed), activity(parsed, service, module)
        by_family[kind] += count
        by_activity[under] += count
        crossed[under, kind] += count
        name, file = parsed[-1]
        own[f"{name} ({file})"] += count

    def table(counter: Counter, limit: int | None = None) -> dict[str, dict[str, float]]:
        return {key: {"ms_per_call": round(cpu_ms_per_call * n / total, 2),
                      "share": round(n / total, 3)}
                for key, n in counter.most_common(limit)}

    return {"samples": total, "cpu_ms_per_call": cpu_ms_per_call,
            "socket_share": round(socket_io / total, 3),
            "by_family": table(by_family), "by_activity": table(by_activity),
            "activity_by_family": {
                under: {kind: round(cpu_ms_per_call * n / total, 2)
                        for (where, kind), n in crossed.most_common() if where == under}
                for under, _ in by_activity.most_common(6)},
            "top_own": table(own, top)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("raw", type=Path, help="py-spy --format raw output")
    parser.add_argument("--service", required=True, help="calls, staffing, ...")
    parser.add_argument("--cpu-ms-per-call", type=float, required=True)
    opts = parser.parse_args()
    print(json.dumps(summarise(opts.raw, opts.service, opts.cpu_ms_per_call), indent=2,
                     ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
