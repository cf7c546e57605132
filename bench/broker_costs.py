"""What an outbox event costs the broker and the publisher, by how it is confirmed (issue 12).

Publishes ``--events`` persistent events the way the outbox relay does, into a fresh vhost with
the call path's topology (a ``calls.events`` topic exchange, a quorum queue bound to the events'
routing key, and optionally the event archive stream bound with ``#``), and reports CPU per
event of the broker (its beam.smp, so run it on a private node: BENCH_BROKER, bench/PROFILE.md)
and of this process, and the time per event:

- ``each``: nameko's Publisher, one confirm awaited per event (the relay before issue 12);
- ``batch-N``: svckit/confirms.py, N events sent, then one wait for their confirms.

    python bench/broker_costs.py --events 2000 [--no-archive]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402
from kombu import Connection  # noqa: E402
from nameko.amqp.publish import Publisher  # noqa: E402
from nameko.standalone.events import get_event_exchange  # noqa: E402

from bench.e2e import BROKER, RABBIT_API, broker_pid, cpu_seconds  # noqa: E402
from svckit.archive import ArchiveSettings, bind_archive  # noqa: E402
from svckit.confirms import BatchPublisher, Outgoing  # noqa: E402

ROUTING_KEY = "work_order.created"
QUEUE = "evt-calls-work_order.created--bench"
BODY = json.dumps({"type": ROUTING_KEY, "payload": {"work_order_id": "x" * 36,
                                                      "caller": {"number": "13800138000"}},
                   "occurred_at": "2026-11-30T12:00:00+00:00", "padding": "p" * 600})


def publish_each(amqp_uri: str, count: int) -> None:
    publisher = Publisher(amqp_uri, use_confirms=True, mandatory=True, confirm_timeout=10)
    exchange = get_event_exchange("calls", {})
    for _ in range(count):
        publisher.publish(BODY, exchange=exchange, declare=[exchange], routing_key=ROUTING_KEY,
                          message_id=str(uuid.uuid4()), content_type="application/json",
                          content_encoding="utf-8")


def publish_batches(amqp_uri: str, count: int, size: int) -> None:
    publisher = BatchPublisher(amqp_uri, confirm_timeout=10)
    exchange = get_event_exchange("calls", {})
    for start in range(0, count, size):
        outcome = publisher.publish([
            Outgoing(exchange, ROUTING_KEY, str(uuid.uuid4()), BODY)
            for _ in range(min(size, count - start))
        ])
        assert not outcome.returned and not outcome.timed_out


def measure(amqp_uri: str, mode: str, count: int, broker: int) -> dict[str, float]:
    broker_before, own_before = cpu_seconds(broker), time.process_time()
    started = time.perf_counter()
    if mode == "each":
        publish_each(amqp_uri, count)
    else:
        publish_batches(amqp_uri, count, int(mode.removeprefix("batch-")))
    elapsed = time.perf_counter() - started
    time.sleep(0.5)  # the broker's own work on the last ones (quorum and stream writes)
    return {
        "broker_cpu_ms_per_event": round((cpu_seconds(broker) - broker_before) * 1000 / count, 3),
        "publisher_cpu_ms_per_event": round((time.process_time() - own_before) * 1000 / count, 3),
        "ms_per_event": round(elapsed * 1000 / count, 3),
    }


def topology(amqp_uri: str, archive: bool) -> None:
    if archive:
        bind_archive(amqp_uri, "calls.events", ArchiveSettings("1h", 10**9))
    with Connection(amqp_uri) as connection:
        channel = connection.default_channel
        channel.exchange_declare("calls.events", "topic", durable=True, auto_delete=False)
        channel.queue_declare(QUEUE, durable=True, auto_delete=False,
                              arguments={"x-queue-type": "quorum"})
        channel.queue_bind(QUEUE, "calls.events", ROUTING_KEY)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--no-archive", action="store_true")
    parser.add_argument("--modes", default="each,batch-4,batch-50")
    opts = parser.parse_args()
    broker = broker_pid(int(BROKER.rsplit(":", 1)[1]))
    if broker is None:
        sys.exit(f"no local RabbitMQ listens on {BROKER}")
    vhost, auth = f"bench-costs-{uuid.uuid4().hex[:8]}", ("guest", "guest")
    requests.put(f"{RABBIT_API}/vhosts/{vhost}", auth=auth, timeout=30).raise_for_status()
    requests.put(f"{RABBIT_API}/permissions/{vhost}/guest", auth=auth, timeout=30,
                 json={"configure": ".*", "write": ".*", "read": ".*"}).raise_for_status()
    amqp_uri = f"pyamqp://guest:guest@{BROKER}/{quote(vhost, safe='')}"
    try:
        topology(amqp_uri, archive=not opts.no_archive)
        results = {mode: measure(amqp_uri, mode, opts.events, broker)
                   for mode in opts.modes.split(",")}
    finally:
        requests.delete(f"{RABBIT_API}/vhosts/{vhost}", auth=auth, timeout=120)
    print(json.dumps({"events": opts.events, "archive": not opts.no_archive,
                      "load_average": os.getloadavg(), "modes": results}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
