"""The call path's floor on this stack (issue 12): the hotline's AGI dialogue served by minimal
services made only of the platform's pieces, one piece more per rung, each rung measured alike.

Rungs (bench/floor_services.py): ``agi`` the dialogue alone, a fixed order id; ``db`` + the
call's three commits; ``rpc`` + one RPC to a second service writing one row; ``events`` + two
events per call (``work_order.created``, ``call.ended``) through the outbox, published with
confirms to durable quorum queues and consumed with ack (and a processed-message record) by
the second service. Each rung runs on fresh databases (SQLite files, or PostgreSQL databases
dropped after with --pg) and, when it uses the broker, on a RabbitMQ vhost of its own; the
services are `nameko run` subprocesses; the callers are bench/e2e.py's, in a closed loop.

    python bench/floor.py --duration 60 --concurrency 100 --processes 2 [--pg]
    python bench/floor.py --duration 5 --rungs agi,events

For each rung: calls/s completed, p50/p95/p99 from connect to SET VARIABLE WORK_ORDER_ID,
calls without an order id (errors) and sent to the fallback queue (the RPC not answered within
the hotline's 300 ms; where its time went: until the request was sent, then until the reply),
CPU ms per call of each service, of RabbitMQ (beam.smp: the whole node, other vhosts
included), of the caller processes and (--pg) of the rung's PostgreSQL backends
(sampled from /proc: a backend that comes and goes between samples is missed, so the sessions
PostgreSQL opened meanwhile are counted too), and each service's resident memory after the
run. CPU is counted from the first call to the moment the last event is consumed (the drain,
at most ``--drain`` seconds after the run), so a back that falls behind is charged in full.
JSON on stdout, a table on stderr. ``--profile DIR`` records the services with py-spy
(bench/cpu_profile.py) and adds their CPU per call by function family and by activity.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import signal
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
from nameko.events import EventHandler  # noqa: E402
from nameko.rpc import Rpc  # noqa: E402
from pika.exceptions import ChannelClosedByBroker  # noqa: E402
from sqlalchemy import Engine, create_engine, func, select, text  # noqa: E402

from asterisk_sim import place_call  # noqa: E402
from bench import floor_services  # noqa: E402
from bench.cpu_profile import summarise  # noqa: E402
from bench.e2e import (  # noqa: E402
    BROKER,
    Stack,
    broker_pid,
    cpu_seconds,
    drive,
    free_port,
    per_call,
    rss_mb,
    start_profilers,
    stop_profilers,
    summary,
)
from bench.floor_services import BACK, EVENT_TYPES, FRONT, ROUTED  # noqa: E402
from svckit.broker import pika_parameters  # noqa: E402

# rung -> (front class, back class or None), in ladder order
RUNGS: dict[str, tuple[str, str | None]] = {
    "agi": ("AgiFront", None),
    "db": ("DbFront", None),
    "rpc": ("RpcFront", "RpcBack"),
    "events": ("EventsFront", "EventsBack"),
}
BACK_MAX_WORKERS = 50  # as staffing's
WARM_UP_SECONDS = 60.0
SETTLE_SECONDS = 5.0
PG_SAMPLE_SECONDS = 0.25
PG_STATS_SECONDS = 1.0
ARCHIVE = {"max_age": "1h", "max_bytes": 1024**3}  # a copy of every event (svckit/archive.py)


class Floor(Stack):
    """One rung's services on fresh databases, and a vhost of their own when they need one."""

    # `nameko run` stops on SIGTERM in a greenlet that runs only when the hub next wakes: up to
    # a minute in a service with no timer of its own (these). SIGINT interrupts the hub's poll.
    stop_signal = signal.SIGINT

    def __init__(self, rung: str, use_pg: bool, front_workers: int, archive: bool = False) -> None:
        super().__init__(use_pg)
        self.rung = rung
        self.archive = archive and rung == "events"
        self.front_class, self.back_class = RUNGS[rung]
        self.front_workers = front_workers
        self.agi_port = free_port()
        self.front_url = None if rung == "agi" else self._database("floor_front", use_pg)
        self.back_url = self._database("floor_back", use_pg) if self.back_class else None
        self.engines: dict[str, Engine] = {}
        self.pids: dict[str, int] = {}

    @property
    def uses_broker(self) -> bool:
        return self.back_class is not None

    def start(self) -> None:
        """Databases and vhost, the back then the front, and a call through the whole rung."""
        if self.uses_broker:
            self.make_vhost()
        for name, url, metadata in (("front", self.front_url, FRONT),
                                    ("back", self.back_url, BACK)):
            if url is not None:
                self.engines[name] = create_engine(url, pool_size=1)
                metadata.create_all(self.engines[name])
        if self.back_class:
            self.pids["back"] = self._run("back", self.back_class, self.back_url,
                                          BACK_MAX_WORKERS).pid
            self._wait_consumed(back_queues(self.back_class))
        extra = {"EVENT_ARCHIVE": ARCHIVE} if self.archive else {}
        self.pids["front"] = self._run("front", self.front_class, self.front_url,
                                       self.front_workers, FASTAGI_ADDRESS=f"127.0.0.1:"
                                       f"{self.agi_port}", **extra).pid
        self._warm_up()

    def _run(self, role: str, target: str, db_url: str | None, max_workers: int, **extra):
        config = {
            "AMQP_URI": self.amqp_uri,
            "HEARTBEAT": 15,
            "DB_URL": db_url or "sqlite://",
            "max_workers": max_workers,
            "EVENT_QUEUE_TYPE": "quorum",
            "LOGGING": {"version": 1, "disable_existing_loggers": False,
                        "handlers": {"console": {"class": "logging.StreamHandler"}},
                        "root": {"level": "WARNING", "handlers": ["console"]}},
            **extra,
        }
        path = Path(self.tmp) / f"{role}.yaml"
        path.write_text(json.dumps(config))  # JSON is YAML
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        return self.run_service(str(path), f"bench.floor_services:{target}", env, role)

    def _wait_consumed(self, queues: list[str]) -> None:
        """Until each of ``queues`` has a consumer: the front's first events and requests must
        find the back's queues (with the archive bound, an event published before would reach
        only the archive)."""
        deadline = time.monotonic() + WARM_UP_SECONDS
        with pika.BlockingConnection(pika_parameters(self.amqp_uri)) as connection:
            waiting = list(queues)
            while waiting:
                channel = connection.channel()
                try:
                    while waiting and channel.queue_declare(
                            waiting[0], passive=True).method.consumer_count:
                        waiting.pop(0)
                except ChannelClosedByBroker:  # not declared yet
                    pass
                if waiting and time.monotonic() > deadline:
                    raise RuntimeError(f"no consumer on {waiting[0]}; logs in {self.tmp}")
                time.sleep(0.2)

    def _warm_up(self) -> None:
        """Until one call goes the whole way: answered, routed, its events consumed."""
        deadline = time.monotonic() + WARM_UP_SECONDS
        while True:
            try:
                transcript = place_call("127.0.0.1", self.agi_port, digits=["1"])
                if transcript.variables.get("ROUTE_TARGET") == ROUTED:
                    self.drain(SETTLE_SECONDS)  # its events may first come back unroutable
                    if self.settled():
                        return
            except OSError:  # not listening yet
                pass
            if time.monotonic() > deadline or any(c.poll() is not None for c in self.children):
                raise RuntimeError(f"the {self.rung} rung did not start; logs in {self.tmp}")
            time.sleep(0.2)

    def counts(self) -> dict[str, int]:
        """Events staged in the front's outbox, published, and consumed by the back."""
        if self.rung != "events":
            return {}
        outbox = FRONT.tables["outbox"]
        processed = BACK.tables["processed_messages"]
        with self.engines["front"].connect() as front:
            staged, published = front.execute(
                select(func.count(), func.count(outbox.c.published_at))).one()
        with self.engines["back"].connect() as back:
            consumed = back.scalar(select(func.count()).select_from(processed))
        return {"staged": staged, "published": published, "consumed": consumed}

    def rpc_waits(self, since: datetime) -> dict:
        """Where the RPC time of the calls started ``since`` went: until the request was sent,
        then until the reply (percentiles over the calls that got that far; the others hit the
        bound first)."""
        if self.back_class is None:
            return {}
        calls = FRONT.tables["floor_calls"]
        with self.engines["front"].connect() as front:
            rows = front.execute(select(calls.c.rpc_sent_ms, calls.c.rpc_reply_ms)
                                 .where(calls.c.started_at >= since)).all()
        sent = [row.rpc_sent_ms / 1000 for row in rows if row.rpc_sent_ms is not None]
        replied = [row.rpc_reply_ms / 1000 for row in rows if row.rpc_reply_ms is not None]
        return {"calls": len(rows),
                "sent": summary(sent), "not_sent_in_time": len(rows) - len(sent),
                "reply": summary(replied), "no_reply_in_time": len(sent) - len(replied)}

    def pg_sessions(self) -> dict[str, int]:
        """Sessions PostgreSQL has opened so far on each service's database (a pool that closes
        and opens connections under load shows here: each costs a backend's start)."""
        databases = {engine.url.database: role for role, engine in self.engines.items()}
        with self.engines["front"].connect() as connection:
            rows = connection.execute(
                text("SELECT datname, sessions FROM pg_stat_database WHERE datname = ANY(:names)"),
                {"names": list(databases)}).all()
        return {databases[name]: int(sessions) for name, sessions in rows}

    def settled(self) -> bool:
        """Every event staged so far is published and consumed (true on rungs without)."""
        counts = self.counts()
        return not counts or counts["staged"] == counts["published"] == counts["consumed"]

    def drain(self, limit: float) -> float:
        """Wait (at most ``limit`` s) until the back has consumed every event; seconds taken."""
        started = time.monotonic()
        while not self.settled() and time.monotonic() - started < limit:
            time.sleep(0.1)
        return round(time.monotonic() - started, 2)

    def stop(self) -> None:
        for engine in self.engines.values():
            engine.dispose()
        super().stop()


def back_queues(target: str) -> list[str]:
    """The queues a back service consumes, named as nameko names them, from its entrypoints."""
    cls = getattr(floor_services, target)
    names = set()
    for method, function in inspect.getmembers(cls):
        for entrypoint in getattr(function, "nameko_entrypoints", ()):
            if isinstance(entrypoint, Rpc):
                names.add(f"rpc-{cls.name}")
            elif isinstance(entrypoint, EventHandler):
                names.add(f"evt-{entrypoint.source_service}-{entrypoint.event_type}"
                          f"--{cls.name}.{method}")
    return sorted(names)


class PgBackends(threading.Thread):
    """CPU of the PostgreSQL backends serving ``databases``, sampled from /proc (a backend
    that exits loses what it spent since the last sample)."""

    def __init__(self, databases: list[str]) -> None:
        super().__init__(daemon=True)
        self.names = [name.encode() for name in databases]
        self.start_cpu = self._sample()
        self.last_cpu = dict(self.start_cpu)
        self._stopped = threading.Event()

    def _sample(self) -> dict[int, float]:
        found = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                cmdline = (entry / "cmdline").read_bytes()
                if cmdline.startswith(b"postgres: ") and any(n in cmdline for n in self.names):
                    found[int(entry.name)] = cpu_seconds(int(entry.name))
            except OSError:  # gone meanwhile
                continue
        return found

    def run(self) -> None:
        while not self._stopped.wait(PG_SAMPLE_SECONDS):
            self.last_cpu.update(self._sample())

    def used(self) -> float:
        """Stop sampling; CPU seconds spent since the start."""
        self._stopped.set()
        self.join()
        self.last_cpu.update(self._sample())
        return sum(cpu - self.start_cpu.get(pid, 0.0) for pid, cpu in self.last_cpu.items())


def measure(rung: str, opts: argparse.Namespace) -> dict:
    """Start the rung, drive it for ``opts.duration`` s, drain it, stop it: its figures."""
    floor = Floor(rung, opts.pg, max(200, 2 * opts.concurrency), opts.archive)
    try:
        floor.start()
        pids = dict(floor.pids)
        if (broker := broker_pid(int(BROKER.rsplit(":", 1)[1]))) is not None:
            pids["rabbitmq"] = broker
        before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        base = floor.counts()
        pg = PgBackends(floor.databases) if opts.pg and floor.databases else None
        sessions = floor.pg_sessions() if pg else {}
        if pg:
            pg.start()
        spies = start_profilers(floor.pids, opts.profile / rung) if opts.profile else {}
        load_before, started = os.getloadavg()[0], datetime.now(UTC)
        results, elapsed, callers_cpu = drive(opts.concurrency, opts.processes, opts.duration,
                                              floor.agi_port)
        drain_s = floor.drain(opts.drain)
        stop_profilers(spies)
        used = {name: cpu_seconds(pid) - before[name] for name, pid in pids.items()}
        used["callers"] = callers_cpu
        if pg:
            used["postgresql"] = pg.used()
            time.sleep(PG_STATS_SECONDS)  # the backends' statistics reach pg_stat_database
            sessions = {role: n - sessions[role] for role, n in floor.pg_sessions().items()}
        rss = {name: rss_mb(pid) for name, pid in floor.pids.items()}
        counts = {key: value - base[key] for key, value in floor.counts().items()}
        rpc_waits = floor.rpc_waits(started)
    finally:
        floor.stop()
    completed = [r for r in results if r[1]]
    report = {
        "rung": rung,
        "calls": len(results),
        "completed": len(completed),
        "errors": len(results) - len(completed),
        "sent_to_fallback_queue": sum(r[3] != ROUTED for r in completed),
        "calls_per_s": round(len(completed) / max(elapsed, 1e-9), 1),
        "to_work_order_id": summary([r[2] for r in completed]),
        "cpu_ms_per_call": per_call(used, len(completed)),
        "rss_mb_after_run": rss,
        "drain_s": drain_s,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    for name, (raw, _) in spies.items():
        report.setdefault("profile", {})[name] = summarise(
            raw, name, report["cpu_ms_per_call"][name], module="bench/floor_services.py")
    if rpc_waits:
        report["rpc_waits_ms"] = rpc_waits
    if pg:
        report["postgresql_sessions_opened"] = sessions
    if counts:
        report["events"] = {"types": list(EVENT_TYPES), **counts,
                            "unconsumed": counts["staged"] - counts["consumed"]}
    return report


def table(reports: list[dict]) -> str:
    """The figures of each rung, one line each."""
    names = ["front", "back", "rabbitmq", "callers", "postgresql"]
    lines = [f"{'rung':7} {'calls/s':>8} {'p50':>7} {'p95':>7} {'p99':>7} {'err':>4} "
             f"{'fallbk':>6}  cpu ms/call " + " ".join(f"{n[:8]:>8}" for n in names)
             + "   rss MB front back"]
    for r in reports:
        latency, cpu, rss = r["to_work_order_id"], r["cpu_ms_per_call"], r["rss_mb_after_run"]
        lines.append(
            f"{r['rung']:7} {r['calls_per_s']:8.1f} {latency['p50_ms']:7.1f} "
            f"{latency['p95_ms']:7.1f} {latency['p99_ms']:7.1f} {r['errors']:4d} "
            f"{r['sent_to_fallback_queue']:6d}  {'':11} "
            + " ".join(f"{cpu[n]:8.2f}" if n in cpu else f"{'-':>8}" for n in names)
            + f"   {rss.get('front', '-'):>8} {rss.get('back', '-'):>4}")
    return "\n".join(lines)


def rung_list(text: str) -> list[str]:
    rungs = [name.strip() for name in text.split(",") if name.strip()]
    unknown = set(rungs) - RUNGS.keys()
    if unknown or not rungs:
        raise argparse.ArgumentTypeError(f"rungs are among {', '.join(RUNGS)}")
    return rungs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per rung")
    parser.add_argument("--concurrency", type=int, default=100, help="callers (closed loop)")
    parser.add_argument("--processes", type=int, default=2, help="caller processes")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--rungs", type=rung_list, default=list(RUNGS),
                        help=f"comma-separated, among {','.join(RUNGS)}")
    parser.add_argument("--drain", type=float, default=30.0,
                        help="at most this many seconds after the run for the last events")
    parser.add_argument("--archive", action="store_true",
                        help="events rung: the relay also copies every event to the archive "
                             "stream, as the platform's services do (not an issue-12 guarantee)")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record the services with py-spy into DIR/<rung>/ (run and drain)")
    opts = parser.parse_args()
    reports = [measure(rung, opts) for rung in opts.rungs]
    print(json.dumps({
        "backend": "postgresql" if opts.pg else "sqlite",
        "concurrency": opts.concurrency,
        "processes": opts.processes,
        "duration_s": opts.duration,
        "event_archive": opts.archive,
        "rungs": reports,
    }, indent=2))
    print(table(reports), file=sys.stderr)
    return 0 if all(r["completed"] and not r["errors"] for r in reports) else 1


if __name__ == "__main__":
    sys.exit(main())
