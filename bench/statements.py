"""What one call costs the databases and the broker (issue 12): SQL statements by kind,
transactions (commits, rollbacks) and connection checkouts (each one a ``SELECT 1`` ping on
PostgreSQL) per service, the events each service publishes, and the messages the broker takes
in and hands out, by queue (each queue's copy counts: RPC requests and replies, every
subscriber's copy of an event, the event archive's), per call.

Starts staffing and calls in this process (nameko containers with their config.yaml, on
bench/e2e.py's fresh databases and vhost), counts every statement each service's engine runs
(SQLAlchemy events), and places calls one after another; counts are read once every order's
routing has reached calls. The broker's counts come from its management API, which refreshes
them every 5 s: the run waits that long before and after. Timers run meanwhile (calls'
instance beat every 5 s): a few statements and messages per run, not per call.

    python bench/statements.py [--calls 50] [--pg]
"""

from __future__ import annotations

import os

os.environ.setdefault("EVENTLET_NO_GREENDNS", "yes")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import json  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
import yaml  # noqa: E402
from nameko.cli.main import setup_yaml_parser  # noqa: E402
from nameko.containers import ServiceContainer  # noqa: E402
from prometheus_client import REGISTRY  # noqa: E402
from sqlalchemy import event, func, select  # noqa: E402

from asterisk_sim import place_call  # noqa: E402
from bench.e2e import RABBIT_API, System  # noqa: E402
from services.calls.models import WorkOrder  # noqa: E402
from services.calls.service import CallsService  # noqa: E402
from services.staffing.service import StaffingService  # noqa: E402
from svckit.agi.server import FastAgiServer  # noqa: E402
from svckit.db import Database  # noqa: E402


class Tally:
    """Statements by kind, transactions and checkouts on one engine."""

    def __init__(self, engine) -> None:
        self.counts: Counter = Counter()
        event.listen(engine, "before_cursor_execute", self._statement)
        event.listen(engine, "commit", lambda _conn: self.counts.update(["COMMIT"]))
        event.listen(engine, "rollback", lambda _conn: self.counts.update(["ROLLBACK"]))
        event.listen(engine.pool, "checkout", lambda *_: self.counts.update(["checkout"]))

    def _statement(self, _conn, _cursor, statement: str, *_args) -> None:
        self.counts[statement.lstrip().split(None, 1)[0].upper()] += 1


def start(cls, config_file: str, env: dict) -> ServiceContainer:
    os.environ.update(env)  # the config's ${VAR:default} are read from the environment
    setup_yaml_parser()
    config = yaml.safe_load((ROOT / config_file).read_text())
    config.update(WEB_SERVER_ADDRESS="127.0.0.1:0", FASTAGI_ADDRESS="127.0.0.1:0")
    container = ServiceContainer(cls, config)
    container.start()
    return container


def store(container: ServiceContainer):
    return next(d for d in container.dependencies if isinstance(d, Database)).store


def published(service: str) -> float:
    return REGISTRY.get_sample_value("csc_outbox_published_total", {"service": service}) or 0.0


STATS_INTERVAL_SECONDS = 5.5  # RabbitMQ's collect_statistics_interval (5 s) and a margin


def queue_traffic(vhost: str) -> Counter:
    """Messages routed into and delivered from each queue of ``vhost`` so far."""
    queues = requests.get(f"{RABBIT_API}/queues/{requests.utils.quote(vhost, safe='')}",
                          auth=("guest", "guest"), timeout=30).json()
    traffic: Counter = Counter()
    for queue in queues:
        name = queue["name"]
        if name.startswith("rpc.reply-"):  # one per calls worker's proxy: one kind
            name = "rpc.reply-*"
        stats = queue.get("message_stats", {})
        traffic[f"in {name}"] += stats.get("publish", 0)
        traffic[f"out {name}"] += stats.get("deliver_get", 0)
    return traffic


def broker_per_call(before: Counter, after: Counter, calls: int) -> dict[str, float]:
    change = after - before
    routed = sum(n for key, n in change.items() if key.startswith("in "))
    delivered = sum(n for key, n in change.items() if key.startswith("out "))
    return {"routed_into_queues": round(routed / calls, 2),
            "delivered": round(delivered / calls, 2),
            **{key: round(n / calls, 2) for key, n in sorted(change.items())}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=50)
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    opts = parser.parse_args()

    system = System(opts.pg, max_workers=50)
    system.prepare()
    containers = {
        "staffing": start(StaffingService, "services/staffing/config.yaml", system.env),
        "calls": start(CallsService, "services/calls/config.yaml", system.env),
    }
    try:
        port = next(ext for ext in containers["calls"].subextensions
                    if isinstance(ext, FastAgiServer)).port
        place_call("127.0.0.1", port, digits=["1"])  # warm up: connections, caches, queues
        time.sleep(1)
        stores = {name: store(container) for name, container in containers.items()}
        tallies = {name: Tally(s.engine) for name, s in stores.items()}
        before = {name: published(name) for name in containers}
        time.sleep(STATS_INTERVAL_SECONDS)
        traffic_before = queue_traffic(system.vhost)
        for n in range(opts.calls):
            place_call("127.0.0.1", port, digits=["1234"[n % 4]],
                       caller_num=f"139{n:08d}", uniqueid=f"1772600000.{n}")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with stores["calls"].transaction() as session:
                if not session.scalar(select(func.count()).where(WorkOrder.routed_at.is_(None))):
                    break
            time.sleep(0.2)
        time.sleep(1)  # the last events' followers (staffing's counts) and the relays
        time.sleep(STATS_INTERVAL_SECONDS)
        broker = broker_per_call(traffic_before, queue_traffic(system.vhost), opts.calls)
        per_call = {
            name: {
                **{kind: round(n / opts.calls, 1) for kind, n in tally.counts.most_common()},
                "events_published": round((published(name) - before[name]) / opts.calls, 1),
            }
            for name, tally in tallies.items()
        }
    finally:
        for container in containers.values():
            container.stop()
        system.stop()
    print(json.dumps({"backend": "postgresql" if opts.pg else "sqlite", "calls": opts.calls,
                      "per_call": per_call, "broker_per_call": broker}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
