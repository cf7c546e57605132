"""Operations: databases, demo data, and what the messaging left for an operator.

    python scripts/manage.py migrate                  # every service's database to head
    python scripts/manage.py seed                     # demo staff, customers, the hall's assets
    python scripts/manage.py outbox-status            # unpublished events per route
    python scripts/manage.py outbox-release calls [--type call.ended]   # retry parked events
    python scripts/manage.py dlq-replay QUEUE [--limit N]   # QUEUE.dlq back into QUEUE
    python scripts/manage.py events-replay QUEUE --since 2026-11-30T08:00:00+08:00 \
        [--types 'work_order.*']                      # archived events into a late subscriber
    python scripts/manage.py quorum-queues            # older queues -> as declared now (once)
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.assets import seed as assets_seed  # noqa: E402
from services.assets.models import Base as AssetsBase  # noqa: E402
from services.calls import seed as calls_seed  # noqa: E402
from services.calls.models import Base as CallsBase  # noqa: E402
from services.inbox.models import Base as InboxBase  # noqa: E402
from services.staffing import seed as staffing_seed  # noqa: E402
from services.staffing.models import Base as StaffingBase  # noqa: E402
from services.visits import seed as visits_seed  # noqa: E402
from services.visits.models import Base as VisitsBase  # noqa: E402
from svckit.archive import replay as replay_archive  # noqa: E402
from svckit.clock import wall_now  # noqa: E402
from svckit.config import load_config  # noqa: E402
from svckit.db import ServiceStore  # noqa: E402
from svckit.deadletters import replay_dead_letters  # noqa: E402
from svckit.migrations import upgrade  # noqa: E402
from svckit.outbox import outbox_status, release_parked  # noqa: E402
from svckit.queues import to_quorum  # noqa: E402

SERVICES = {"calls": CallsBase.metadata, "staffing": StaffingBase.metadata,
            "visits": VisitsBase.metadata,
            "assets": AssetsBase.metadata,
            "inbox": InboxBase.metadata}


def service_url(service: str) -> str:
    return load_config(ROOT / "services" / service / "config.yaml")["DB_URL"]


def migrate() -> None:
    for service in SERVICES:
        upgrade(ROOT / "services" / service, service_url(service))
        print(f"{service}: database at head")


def seed() -> None:
    password = os.environ.get("DEMO_PASSWORD", "demo")
    stores = {name: store(name) for name in SERVICES}
    seeded = [
        staffing_seed.seed_demo(stores["staffing"], password) and "14 staff",
        staffing_seed.seed_org(stores["staffing"], password) and "the organisation (19 more)",
        staffing_seed.seed_roster(stores["staffing"], wall_now()) and "the hotline's roster",
        calls_seed.seed_demo(stores["calls"]) and "3 customers",
        assets_seed.seed_demo(stores["assets"], staffing_seed.staff_ids(stores["staffing"]))
        and "the hall's assets, seals, keys and rooms",
    ]
    sales = staffing_seed.seed_sales(stores["staffing"], password)
    seeded.append(visits_seed.seed_demo(stores["visits"], sales, wall_now())
                  and "the sales department's quota, 2 salespeople and 4 customers to visit")
    for opened in stores.values():
        opened.dispose()
    done = [item for item in seeded if item]
    print("seeded demo data: " + ", ".join(done) if done else "demo data already present")


def store(service: str) -> ServiceStore:
    return ServiceStore(service_url(service), SERVICES[service])


def show_outbox(_args) -> None:
    for service in SERVICES:
        for exchange, event_type, pending, parked in outbox_status(store(service)):
            print(f"{service}: {exchange} {event_type}: {pending} pending, {parked} parked")


def release_outbox(args) -> None:
    released = release_parked(store(args.service), args.type)
    print(f"{args.service}: {released} parked events handed back to the relay")


def replay_dlq(args) -> None:
    amqp_uri = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    moved = replay_dead_letters(amqp_uri, args.queue, args.limit)
    print(f"{moved} messages moved from {args.queue}.dlq back to {args.queue}")


def replay_events(args) -> None:
    amqp_uri = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    since = datetime.fromisoformat(args.since)
    if since.tzinfo is None:
        raise SystemExit("--since needs a UTC offset, e.g. 2026-11-30T08:00:00+08:00")
    moved = replay_archive(amqp_uri, args.queue, since, args.types)
    print(f"{moved} archived {args.types} events since {since.isoformat()} published to "
          f"{args.queue}")
def quorum_queues(_args) -> None:
    amqp_uri = os.environ.get("AMQP_URI", "pyamqp://guest:guest@127.0.0.1:5672/")
    for queue, kept in to_quorum(amqp_uri):
        print(f"{queue}: declared as this release does ({kept} messages kept)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("migrate").set_defaults(run=lambda _: migrate())
    commands.add_parser("seed").set_defaults(run=lambda _: seed())
    commands.add_parser("outbox-status").set_defaults(run=show_outbox)
    release = commands.add_parser("outbox-release")
    release.add_argument("service", choices=sorted(SERVICES))
    release.add_argument("--type", help="only events of this type")
    release.set_defaults(run=release_outbox)
    replay = commands.add_parser("dlq-replay")
    replay.add_argument("queue", help="the handler's queue, e.g. evt-calls-work_order.created--"
                        "staffing.on_work_order_created")
    replay.add_argument("--limit", type=int)
    replay.set_defaults(run=replay_dlq)
    archived = commands.add_parser("events-replay")
    archived.add_argument("queue", help="the late subscriber's queue")
    archived.add_argument("--since", required=True, help="ISO 8601 instant with its offset")
    archived.add_argument("--types", default="*", help="event types, a shell pattern")
    archived.set_defaults(run=replay_events)
    commands.add_parser("quorum-queues").set_defaults(run=quorum_queues)
    args = parser.parse_args()
    args.run(args)


if __name__ == "__main__":
    main()
