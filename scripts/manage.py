"""Operations on the services' databases: ``migrate`` (Alembic to head) and ``seed`` (demo data).

    python scripts/manage.py migrate
    python scripts/manage.py seed
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from services.calls import seed as calls_seed  # noqa: E402
from services.calls.models import Base as CallsBase  # noqa: E402
from services.staffing import seed as staffing_seed  # noqa: E402
from services.staffing.models import Base as StaffingBase  # noqa: E402
from svckit.config import load_config  # noqa: E402
from svckit.db import ServiceStore  # noqa: E402
from svckit.migrations import upgrade  # noqa: E402

SERVICES = {"calls": CallsBase.metadata, "staffing": StaffingBase.metadata}


def service_url(service: str) -> str:
    return load_config(ROOT / "services" / service / "config.yaml")["DB_URL"]


def migrate() -> None:
    for service in SERVICES:
        upgrade(ROOT / "services" / service, service_url(service))
        print(f"{service}: database at head")


def seed() -> None:
    password = os.environ.get("DEMO_PASSWORD", "demo")
    stores = {name: ServiceStore(service_url(name), meta) for name, meta in SERVICES.items()}
    seeded = [
        staffing_seed.seed_demo(stores["staffing"], password) and "14 staff",
        calls_seed.seed_demo(stores["calls"]) and "3 customers",
    ]
    for store in stores.values():
        store.dispose()
    done = [item for item in seeded if item]
    print("seeded demo data: " + ", ".join(done) if done else "demo data already present")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["migrate", "seed"])
    args = parser.parse_args()
    {"migrate": migrate, "seed": seed}[args.command]()


if __name__ == "__main__":
    main()
