"""``python -m faults [--short] [--backend sqlite|postgresql|both] [--keep] [--cluster-only]``:
the fault suite.

On a private RabbitMQ node and a private PostgreSQL cluster (or SQLite files) it runs the
platform as `make run` does and, under simulated calls and API reads, in turn: kills each
service with SIGKILL (the supervisor restarts it), restarts the broker, stops PostgreSQL for a
while, and (full form) on a three-node RabbitMQ cluster stops a follower node, then the node the
services are connected to (they fail over to the next node of ``AMQP_URI``). After each it
checks the
databases and the broker (faults/checks.py) and prints one row: fault, calls placed, answered,
fallback, lost, duplicated, seconds to recover (from the end of the fault until the killed
service is ready again, a call is routed to a person and an API read succeeds). Exit status 1
when anything was lost, duplicated or left wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from faults import checks
from faults.platform import DATABASES, PASSWORD, Platform
from faults.postgres import Cluster
from faults.rabbit import Broker
from faults.traffic import Traffic
from svckit.archive import ARCHIVE_QUEUE

FULL_SERVICES = ("staffing", "calls", "assets", "visits", "inbox", "gateway")
SHORT_SERVICES = ("staffing", "calls", "gateway")


@dataclass(frozen=True)
class Form:
    services: tuple[str, ...]
    killed: tuple[str, ...]
    database_down_seconds: float
    broker_restart: bool
    cluster: bool
    warm_seconds: float
    tail_seconds: float
    callers: int


FULL = Form(FULL_SERVICES, FULL_SERVICES, 30.0, True, True, 3.0, 3.0, 6)
# within `make test`'s budget (about a minute): the call path's own faults on PostgreSQL
SHORT = Form(SHORT_SERVICES, ("calls",), 3.0, False, False, 1.0, 1.0, 3)


class Suite:
    def __init__(self, form: Form, backend: str, folder: Path) -> None:
        self.form, self.backend, self.folder = form, backend, folder
        self.rows: list[checks.Row] = []
        self.reached = 0  # calls that reached the platform in the phases so far
        self.cluster: Cluster | None = None

    def run(self) -> list[checks.Row]:
        with contextlib.ExitStack() as cleanup:
            broker = Broker(self.folder / "rabbit")
            cleanup.callback(broker.stop)
            started = time.monotonic()
            broker.launch()  # it boots while the databases are made
            urls = self._databases(cleanup)
            platform = self._platform(broker, urls)
            broker.wait_up()
            print(f"broker and databases up in {time.monotonic() - started:.1f} s", flush=True)
            if self.form.killed or self.form.broker_restart or self.form.database_down_seconds:
                self._run_platform(platform, broker, urls, self._single_node_faults)
            broker.stop()
            if self.form.cluster:
                three = Broker(self.folder / "rabbit3", size=3, tag="csc-faults-c")
                cleanup.callback(three.stop)
                three.start()
                self._run_platform(self._platform(three, urls), three, urls,
                                   self._cluster_faults)
        return self.rows

    def _databases(self, cleanup: contextlib.ExitStack) -> dict[str, str]:
        if self.backend == "sqlite":
            return {name: f"sqlite:///{self.folder}/db/{name}.db" for name in DATABASES}
        self.cluster = Cluster(self.folder / "pg")
        cleanup.callback(self.cluster.stop)
        self.cluster.create(*DATABASES)
        return {name: self.cluster.url(name) for name in DATABASES}

    def _platform(self, broker: Broker, urls: dict[str, str]) -> Platform:
        """The platform's databases migrated and seeded (the broker not needed yet)."""
        platform = Platform(self.folder / f"platform-{broker.nodes[0].amqp_port}", broker.uri,
                            urls, self.form.services)
        platform.prepare()
        return platform

    def _run_platform(self, platform: Platform, broker: Broker, urls: dict[str, str],
                      faults: Callable[[Platform, Broker, Traffic, checks.Stores,
                                        checks.Observer], None]) -> None:
        started = time.monotonic()
        platform.start()
        print(f"platform ready in {time.monotonic() - started:.1f} s", flush=True)
        stores = checks.Stores({name: urls[name] for name in ("calls", "staffing")})
        observer = checks.Observer(broker.uri)
        traffic = Traffic(platform.agi_port, platform.api, "agent01", PASSWORD,
                          callers=self.form.callers)
        try:
            faults(platform, broker, traffic, stores, observer)
        finally:
            traffic.stop()
            platform.stop()
            stores.dispose()

    def _single_node_faults(self, platform, broker, traffic, stores, observer) -> None:
        for name in self.form.killed:
            self._phase(f"kill -9 {name}", lambda name=name: platform.kill(name),
                        platform, broker, traffic, stores, observer,
                        back=lambda name=name: platform.ready(name))
        if self.form.broker_restart:
            self._phase("broker restart", lambda: broker.restart(), platform, broker, traffic,
                        stores, observer)
        if self.cluster is not None and self.form.database_down_seconds:
            seconds = self.form.database_down_seconds
            self._phase(f"PostgreSQL stopped {seconds:g} s",
                        lambda: self._database_down(seconds), platform, broker, traffic,
                        stores, observer)

    def _cluster_faults(self, platform, broker, traffic, stores, observer) -> None:
        """A follower node stopped, then the node the services are connected to, which leads
        every queue they declared: they fail over to the next address of ``AMQP_URI``, the
        quorum queues elect leaders on the live nodes, and the services' transient queues are
        declared again there (svckit/broker.py)."""
        lost_nodes = ((broker.nodes[-1], "a follower"), (broker.nodes[0], "the services' node"))
        for lost, which in lost_nodes:
            self._phase(f"cluster: {which} of 3 nodes stopped", lost.stop, platform, broker,
                        traffic, stores, observer,
                        after=lambda lost=lost: (lost.start(), lost.wait_up()))

    def _database_down(self, seconds: float) -> None:
        self.cluster.stop()
        time.sleep(seconds)
        self.cluster.start()

    def _phase(self, fault: str, inject: Callable[[], object], platform: Platform,
               broker: Broker, traffic: Traffic, stores: checks.Stores,
               observer: checks.Observer, after: Callable[[], object] | None = None,
               back: Callable[[], bool] = lambda: True) -> None:
        """Traffic, the fault, traffic until the platform serves again (and ``back``, the
        faulty part is back), then the checks."""
        print(f"fault: {fault} ...", flush=True)
        began = time.monotonic()
        traffic.start()
        time.sleep(self.form.warm_seconds)
        inject()
        ended = time.monotonic()
        deadline, back_after = ended + 90, None
        while time.monotonic() < deadline:
            time.sleep(0.5)
            if back_after is None and back():
                back_after = time.monotonic() - ended
            calls, reads = traffic.calls, traffic.reads
            if back_after is not None and checks.recovered_after(
                    ended, list(calls), list(reads)) is not None:
                break
        time.sleep(self.form.tail_seconds)
        if after is not None:
            after()
        traffic.stop()
        calls, reads = traffic.take()
        served_after = checks.recovered_after(ended, calls, reads)
        row = checks.Row(fault, recover_seconds=None if served_after is None or back_after is None
                         else max(served_after, back_after))
        # the platform catches up on what waited (a database outage's spool: every call of it)
        checks.settle(stores, observer, calls, platform.folder / "spool", self.reached,
                      timeout=60 + 3 * (ended - began))
        observer.drain()
        queues = broker.nodes[0].queues()
        dead = {q: n for q, n in queues.items() if q.endswith(".dlq")}
        self.rows.append(checks.check(row, calls, stores, observer, dead, self.reached))
        if row.lost:  # where what was lost waits, if on the broker (the archive keeps all)
            row.problems[:0] = [f"left in {q}: {n}" for q, n in sorted(queues.items())
                                if n and q != ARCHIVE_QUEUE and not q.endswith(".dlq")]
        self.reached += row.answered + row.recorded_unanswered
        print(format_row(self.rows[-1]), f"({time.monotonic() - began:.0f} s)", flush=True)


HEADER = ("fault", "placed", "answered", "fallback", "lost", "duplicated", "recover s")


def format_row(row: checks.Row) -> str:
    recover = "never" if row.recover_seconds is None else f"{row.recover_seconds:.1f}"
    cells = (row.fault, row.placed, row.answered, row.fallback, row.lost, row.duplicated,
             recover)
    return "| " + " | ".join(str(c) for c in cells) + " |"


def table(backend: str, rows: list[checks.Row]) -> str:
    lines = [f"\n{backend}:", "| " + " | ".join(HEADER) + " |",
             "|" + "---|" * len(HEADER)]
    lines += [format_row(row) for row in rows]
    for row in rows:
        lines += [f"  {row.fault}: {problem}" for problem in row.problems[:20]]
    return "\n".join(lines)


def failed(rows: list[checks.Row]) -> bool:
    return any(r.lost or r.duplicated or r.problems or r.recover_seconds is None
               for r in rows)


def _interrupted(signum, frame) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m faults", description=__doc__)
    parser.add_argument("--short", action="store_true", help="the form inside `make test`")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--keep", action="store_true", help="keep the folder (logs, data)")
    parser.add_argument("--cluster-only", action="store_true",
                        help="only the three-node cluster's faults")
    opts = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupted)  # a stopped run stops what it started
    form = SHORT if opts.short else FULL
    if opts.cluster_only:
        form = replace(FULL, killed=(), broker_restart=False, database_down_seconds=0)
    backends = ("sqlite", "postgresql") if opts.backend == "both" else (opts.backend,)
    results, bad = [], False
    for backend in backends:
        folder = Path(tempfile.mkdtemp(prefix=f"csc-faults-{backend}-"))
        folder.chmod(0o755)  # the broker and the database run as their own users
        started = time.monotonic()
        print(f"{backend}: private broker and databases in {folder}", flush=True)
        try:
            rows = Suite(form, backend, folder).run()
        finally:
            if not opts.keep:
                shutil.rmtree(folder, ignore_errors=True)
        results.append(table(backend, rows) + f"\n({time.monotonic() - started:.0f} s)")
        bad = bad or failed(rows)
    print("\n".join(results))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
