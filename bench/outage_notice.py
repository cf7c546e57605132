"""What the outage notice costs a call: the same load with no outage, with an outage elsewhere,
with an outage of the caller's own area, and with no outage again (both lifted: the drift).

Starts staffing and calls as bench/e2e.py does (seeded demo customers; the simulator's default
caller 13800138000 lives in 城南区), then runs the simulator's load for each phase and prints
the latency from connect to WORK_ORDER_ID and the calls service's CPU milliseconds per call.

    python bench/outage_notice.py --duration 15 --concurrency 10
    python bench/outage_notice.py --micro [--pg]   # the lookup alone, per call, no services
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from nameko.standalone.rpc import ClusterRpcProxy  # noqa: E402

from asterisk_sim.load import run_load  # noqa: E402
from bench.e2e import AGI_PORT, System, cpu_seconds  # noqa: E402
from services.calls.hotline import hears_outage_notice  # noqa: E402
from services.calls.models import Base, Customer  # noqa: E402
from services.calls.outages import ActiveOutage, Area  # noqa: E402
from svckit.db import ServiceStore, WorkerDatabase  # noqa: E402
from svckit.migrations import upgrade  # noqa: E402

LEADER = {"id": "1", "role": "duty_leader", "name": "bench"}
PHASES = [  # (name, area declared before the phase, or None: lift all)
    ("no outage", None),
    ("outage elsewhere (城北区)", "城北区"),
    ("outage of the caller's area (城南区)", "城南区"),
    ("no outage again", None),
]


def phase(system: System, name: str, args) -> dict:
    calls_pid = system.children[1].pid
    cpu = cpu_seconds(calls_pid)
    report = run_load("127.0.0.1", AGI_PORT, args.concurrency, args.duration, args.processes)
    used = cpu_seconds(calls_pid) - cpu
    return {
        "phase": name,
        **report.summary(),
        "completed": report.completed,
        "failed": report.failed,
        "calls_cpu_ms_per_call": round(1000 * used / max(1, report.completed), 2),
    }


def micro(url: str, customers: int = 20000, calls: int = 3000) -> None:
    """The hot path's addition alone: hears_outage_notice per call, half the callers in 城南区."""
    upgrade(ROOT / "services" / "calls", url)
    store = ServiceStore(url, Base.metadata)
    with store.transaction() as session:
        for i in range(customers):
            place = f"城南区 建设路 {i} 号" if i % 2 else f"城北区 人民路 {i} 号"
            session.add(Customer(number=f"139{i:08d}", name="x", address=place))
    db = WorkerDatabase(store)
    for name, area in [("no outage", None), ("outage elsewhere", "城西区"), ("own area", "城南区")]:
        active = (ActiveOutage("o", Area(area, (area,))),) if area else ()
        wall, cpu = time.perf_counter(), time.process_time()
        heard = sum(
            hears_outage_notice(db, f"139{i * 7919 % customers:08d}", lambda a=active: a)
            for i in range(calls)
        )
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        print(f"{name:18s} {1e6 * wall / calls:7.1f} us wall {1e6 * cpu / calls:7.1f} us CPU "
              f"per call; notice heard {heard}/{calls}")
    db.close()
    store.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=15.0)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--processes", type=int, default=1, help="caller processes")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--micro", action="store_true", help="the lookup alone, no services")
    args = parser.parse_args()
    system = System(args.pg, max_workers=max(50, 2 * args.concurrency))
    if args.micro:
        micro(system.env["CALLS_DB_URL"])
        system.stop()
        return 0
    system.start()
    try:
        with ClusterRpcProxy({"AMQP_URI": system.amqp_uri}) as rpc:
            declared = []
            for name, area in PHASES:
                if area:
                    declared.append(rpc.calls.declare_outage(area, "bench", LEADER)["id"])
                while area is None and declared:
                    rpc.calls.lift_outage(declared.pop(), LEADER)
                time.sleep(1)
                print(phase(system, name, args), flush=True)
    finally:
        system.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
