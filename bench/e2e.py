"""End-to-end benchmark of the 95598 call path, beside the no-op FastAGI ceiling.

Starts its own staffing and calls services (subprocesses, fresh SQLite databases or PostgreSQL
with --pg, a RabbitMQ vhost of its own, ports apart from `make run`), then places simulated calls
from several caller processes for a fixed time. For every call it measures, from the moment the
simulated Asterisk connects: until SET VARIABLE WORK_ORDER_ID, and until the work_order.routed
event for that order reaches a subscriber. Then it measures a no-op FastAGI handler the same way.

    python bench/e2e.py --duration 20 --concurrency 40 --processes 2
    python bench/e2e.py --duration 60 --concurrency 100 --rate 250 --pg

Callers call again as soon as a call ends (a closed loop), or with ``--rate`` calls arrive at a
set pace on at most ``--concurrency`` lines (an open loop: a storm does not wait for the system).
It prints calls per second, both latencies, CPU per call per process, each service's resident
memory after the run and, unless skipped, the no-op ceiling and the ratio to it.

``--profile DIR`` also records the calls and staffing processes with py-spy during the run and
adds their CPU per call by function family and by activity (bench/cpu_profile.py, bench/PROFILE.md).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import queue
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pika  # noqa: E402
import requests  # noqa: E402

from asterisk_sim import place_call  # noqa: E402
from asterisk_sim.load import percentile  # noqa: E402
from bench.agi_ceiling import measure_noop_ceiling  # noqa: E402
from bench.cpu_profile import summarise  # noqa: E402
from svckit.broker import pika_parameters  # noqa: E402

# The RabbitMQ to use (host:port) and its management API: the machine's, unless set (e.g. a
# private node when the shared one is busy).
BROKER = os.environ.get("BENCH_BROKER", "127.0.0.1:5672")
RABBIT_API = os.environ.get("BENCH_RABBIT_API", "http://127.0.0.1:15672/api")
AGI_PORT, CALLS_HTTP, STAFFING_HTTP = 14573, 19101, 19102


def summary(latencies_s: list[float]) -> dict[str, float]:
    ms = [v * 1000 for v in latencies_s]
    return {f"p{p}_ms": round(percentile(ms, p), 1) for p in (50, 95, 99)}


# --- the system under test -------------------------------------------------------------------


class Stack:
    """What a benchmark's services run on: a RabbitMQ vhost of its own (made by
    :meth:`make_vhost`), fresh databases, service subprocesses; :meth:`stop` removes them all."""

    stop_signal = signal.SIGTERM

    def __init__(self, use_pg: bool) -> None:
        self.use_pg = use_pg
        self.vhost = f"bench-{uuid.uuid4().hex[:8]}"
        self.amqp_uri = f"pyamqp://guest:guest@{BROKER}/{quote(self.vhost, safe='')}"
        self.tmp = tempfile.mkdtemp(prefix="csc-bench-")
        self.databases: list[str] = []
        self.children: list[subprocess.Popen] = []
        self._vhost_made = False

    def _database(self, service: str, use_pg: bool) -> str:
        if not use_pg:
            return f"sqlite:///{self.tmp}/{service}.db"
        name = f"csc_bench_{service}_{uuid.uuid4().hex[:6]}"
        subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                        f'CREATE DATABASE "{name}"'], check=True)
        self.databases.append(name)
        return f"postgresql+psycopg2://postgres@127.0.0.1:5432/{name}"

    def make_vhost(self) -> None:
        auth = ("guest", "guest")
        requests.put(f"{RABBIT_API}/vhosts/{self.vhost}", auth=auth, timeout=10).raise_for_status()
        self._vhost_made = True
        requests.put(
            f"{RABBIT_API}/permissions/{self.vhost}/guest",
            json={"configure": ".*", "write": ".*", "read": ".*"}, auth=auth, timeout=10,
        ).raise_for_status()

    def run_service(self, config: str, target: str, env: dict[str, str],
                    log_name: str) -> subprocess.Popen:
        """``nameko run`` a service (its output in ``<tmp>/<log_name>.log``)."""
        nameko = str(Path(sys.executable).with_name("nameko"))
        log = open(Path(self.tmp) / f"{log_name}.log", "w")  # noqa: SIM115
        child = subprocess.Popen([nameko, "run", "--config", config, target], cwd=ROOT, env=env,
                                 stdout=log, stderr=subprocess.STDOUT)
        self.children.append(child)
        return child

    def stop_services(self) -> None:
        for child in self.children:
            child.send_signal(self.stop_signal)
        for child in self.children:
            try:
                child.wait(30)
            except subprocess.TimeoutExpired:  # a service with nothing to wake its hub (no
                child.kill()  # timer, no broker) may not see the signal: the run is measured
                child.wait()
        self.children = []

    def stop(self) -> None:
        self.stop_services()
        if self._vhost_made:  # its quorum queues take the broker a while to delete; one left
            requests.delete(f"{RABBIT_API}/vhosts/{self.vhost}",  # behind slows it for all
                            auth=("guest", "guest"), timeout=120)
        for name in self.databases:
            subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc",
                            f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'], check=False)


class System(Stack):
    """The platform's staffing and calls services (and the gateway on demand)."""

    def __init__(self, use_pg: bool, max_workers: int) -> None:
        super().__init__(use_pg)
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AMQP_URI": self.amqp_uri,
            "FASTAGI_ADDRESS": f"127.0.0.1:{AGI_PORT}",
            "CALLS_HTTP_ADDRESS": f"127.0.0.1:{CALLS_HTTP}",
            "STAFFING_HTTP_ADDRESS": f"127.0.0.1:{STAFFING_HTTP}",
            "CALLS_MAX_WORKERS": str(max_workers),
            "LOG_LEVEL": "WARNING",
            "CALLS_DB_URL": self._database("calls", use_pg),
            "STAFFING_DB_URL": self._database("staffing", use_pg),
        }

    def start(self) -> None:
        self.prepare()
        for config, target in [
            ("services/staffing/config.yaml", "services.staffing.service:StaffingService"),
            ("services/calls/config.yaml", "services.calls.service:CallsService"),
        ]:
            self.run_service(config, target, self.env, Path(config).parent.name)
        self._wait_up(CALLS_HTTP, STAFFING_HTTP)

    def prepare(self) -> None:
        """The vhost, and the databases migrated and seeded."""
        self.make_vhost()
        for command in ("migrate", "seed"):
            subprocess.run([sys.executable, "scripts/manage.py", command], cwd=ROOT,
                           env=self.env, check=True, stdout=subprocess.DEVNULL)

    def start_gateway(self, port: int) -> None:
        """The gateway too (benchmarks of the API), answering on ``port`` once it is up."""
        self.run_service("gateway/config.yaml", "gateway.service:GatewayService", self.env,
                         "gateway")
        self._wait_up(port)

    def _wait_up(self, *ports: int) -> None:
        """Until each port answers ``/metrics`` (a minute at most for all)."""
        deadline = time.monotonic() + 60
        for port in ports:
            while True:
                try:
                    requests.get(f"http://127.0.0.1:{port}/metrics", timeout=1)
                    break
                except requests.ConnectionError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"port {port} did not answer; logs in {self.tmp}") \
                            from None
                    time.sleep(0.3)


# --- CPU accounting ------------------------------------------------------------------------


def rss_mb(pid: int) -> float:
    """Resident memory of a process now, in MB (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def broker_pid(port: int = 5672) -> int | None:
    """The local RabbitMQ (beam.smp) process listening on ``port``, if this machine runs it
    (another node may run beside it: a fault suite's private one)."""
    listening = {fields[9] for fields in map(str.split, Path("/proc/net/tcp").read_text()
                                             .splitlines()[1:])
                 if fields[1].endswith(f":{port:04X}") and fields[3] == "0A"}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if b"beam.smp" in (entry / "cmdline").read_bytes() and listening & {
                    _socket_inode(fd) for fd in (entry / "fd").iterdir()}:
                return int(entry.name)
        except OSError:
            continue
    return None


def _socket_inode(fd: Path) -> str:
    try:
        return os.readlink(fd).removeprefix("socket:[").rstrip("]")
    except OSError:  # closed meanwhile
        return ""


def start_profilers(pids: dict[str, int], folder: Path) -> dict[str, tuple]:
    """py-spy on each process (not pausing it), raw stacks into ``folder/<name>.txt``."""
    folder.mkdir(parents=True, exist_ok=True)
    spy = str(Path(sys.executable).with_name("py-spy"))
    return {name: (folder / f"{name}.txt", subprocess.Popen(
        [spy, "record", "--pid", str(pid), "--nonblocking", "--nolineno", "--format", "raw",
         "--output", str(folder / f"{name}.txt")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )) for name, pid in pids.items()}


def stop_profilers(spies: dict[str, tuple]) -> None:
    for _, spy in spies.values():
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on Ctrl-C
    for _, spy in spies.values():
        spy.wait(60)


# --- routing events --------------------------------------------------------------------------


class RoutedEvents(threading.Thread):
    """Records when each work_order.routed event arrives (wall clock)."""

    def __init__(self, amqp_uri: str) -> None:
        super().__init__(daemon=True)
        self.connection = pika.BlockingConnection(pika_parameters(amqp_uri))
        self.channel = self.connection.channel()
        self.channel.exchange_declare("staffing.events", "topic", durable=True)
        queue = self.channel.queue_declare("", exclusive=True).method.queue
        self.channel.queue_bind(queue, "staffing.events", "work_order.routed")
        self.channel.basic_consume(queue, self._on_message, auto_ack=True)
        self.arrivals: dict[str, float] = {}

    def _on_message(self, _channel, _method, _properties, body: bytes) -> None:
        self.arrivals[json.loads(body)["payload"]["work_order_id"]] = time.time()

    def run(self) -> None:
        with contextlib.suppress(Exception):  # the connection closes at the end of the run
            self.channel.start_consuming()

    def stop(self) -> None:
        self.connection.add_callback_threadsafe(self.channel.stop_consuming)


# --- callers ---------------------------------------------------------------------------------


def _callers(args: tuple[int, float, int, int, float | None]) -> tuple[list[tuple], float]:
    """One process of callers: for each call (due wall time, work order id, seconds to
    WORK_ORDER_ID, ROUTE_TARGET, end wall time), and the CPU seconds the process spent placing
    them. Without ``rate`` each caller calls again as soon as a call
    ends (a closed loop: the system's pace sets the load). With ``rate`` calls arrive at that
    many a second whatever the system does, on at most ``threads`` lines; a call that waits for
    a free line counts the wait in its latency (its time starts when it was due)."""
    threads, duration, seed, agi_port, rate = args
    cpu_start = time.process_time()
    rng = random.Random(seed)
    results: list[tuple] = []
    lock = threading.Lock()
    deadline = time.monotonic() + duration
    due: queue.Queue[float | None] = queue.Queue()

    def one_call(arrived: float) -> None:
        connected = time.time()
        try:
            transcript = place_call(
                "127.0.0.1", agi_port, digits=[rng.choice("1234")],
                caller_num=f"139{rng.randrange(10**8):08d}",
                uniqueid=f"{connected:.6f}.{rng.randrange(10**9)}",
            )
            order = transcript.variables.get("WORK_ORDER_ID")
            latency = transcript.latency_to("WORK_ORDER_ID")
            if latency is not None:
                latency += connected - arrived
            entry = (arrived, order, latency, transcript.variables.get("ROUTE_TARGET"),
                     time.time())
        except OSError:
            entry = (arrived, None, None, None, time.time())
        with lock:
            results.append(entry)

    def caller() -> None:
        while time.monotonic() < deadline:
            one_call(time.time())

    def line() -> None:
        while (arrived := due.get()) is not None:
            one_call(arrived)

    workers = [threading.Thread(target=line if rate else caller, daemon=True)
               for _ in range(threads)]
    for worker in workers:
        worker.start()
    if rate:
        _arrivals(due, rate, duration, threads)
    for worker in workers:
        worker.join(duration + 30)
    return results, time.process_time() - cpu_start


def _arrivals(due: queue.Queue, rate: float, duration: float, lines: int) -> None:
    """Calls due at ``rate`` a second for ``duration`` seconds, then one stop per line."""
    started, count = time.time(), int(rate * duration)
    for n in range(count):
        at = started + n / rate
        time.sleep(max(0.0, at - time.time()))
        due.put(at)
    for _ in range(lines):
        due.put(None)


def drive(concurrency: int, processes: int, duration: float, agi_port: int = AGI_PORT,
          rate: float | None = None) -> tuple[list, float, float]:
    """Calls from ``processes`` caller processes: every call's entry (see :func:`_callers`),
    the seconds from the first call to the end of the last, the callers' CPU seconds."""
    shares = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    share_of_rate = rate / processes if rate else None
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        parts = pool.map(_callers, [(n, duration, i, agi_port, share_of_rate)
                                    for i, n in enumerate(shares)])
    results = [entry for part, _ in parts for entry in part]
    # from the first call to the end of the last (the callers' processes take a while to start)
    elapsed = max(r[4] for r in results) - min(r[0] for r in results) if results else 0.0
    return results, elapsed, sum(cpu for _, cpu in parts)


def per_call(cpu: dict[str, float], calls: int) -> dict[str, float]:
    return {name: round(1000 * used / max(1, calls), 2) for name, used in cpu.items()}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def warm_up(seconds: float = 15.0) -> None:
    """One call to warm up connections and caches, once the FastAGI listener accepts (it may
    open a moment after the service's HTTP port answers)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            place_call("127.0.0.1", AGI_PORT, digits=["1"])
            return
        except ConnectionRefusedError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--concurrency", type=int, default=40)
    parser.add_argument("--processes", type=int, default=2, help="caller processes")
    parser.add_argument("--rate", type=float, metavar="CALLS_PER_S",
                        help="calls arrive at this pace on at most --concurrency lines (open "
                             "loop); without it each caller calls again at once (closed loop)")
    parser.add_argument("--pg", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--skip-ceiling", action="store_true")
    parser.add_argument("--profile", type=Path, metavar="DIR",
                        help="record calls and staffing with py-spy into DIR")
    opts = parser.parse_args()

    global AGI_PORT, CALLS_HTTP, STAFFING_HTTP  # free ones: another benchmark may run now
    AGI_PORT, CALLS_HTTP, STAFFING_HTTP = free_port(), free_port(), free_port()
    system = System(opts.pg, max_workers=max(200, opts.concurrency * 2))
    system.start()
    routed = RoutedEvents(system.amqp_uri)
    routed.start()
    try:
        warm_up()
        pids = {"staffing": system.children[0].pid, "calls": system.children[1].pid}
        if (broker := broker_pid(int(BROKER.rsplit(":", 1)[1]))) is not None:
            pids["rabbitmq"] = broker
        cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
        services = {name: pid for name, pid in pids.items() if name != "rabbitmq"}
        spies = start_profilers(services, opts.profile) if opts.profile else {}
        results, elapsed, callers_cpu = drive(opts.concurrency, opts.processes, opts.duration,
                                              AGI_PORT, opts.rate)
        cpu_used = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        cpu_used["callers"] = callers_cpu
        orders = {r[1] for r in results if r[1]}
        deadline = time.monotonic() + 5  # let the last routing events arrive
        while not orders <= routed.arrivals.keys() and time.monotonic() < deadline:
            time.sleep(0.1)
        # the profile covers the run and the drain: work a call causes after the run counts
        cpu_drained = {name: cpu_seconds(pid) - cpu_before[name] for name, pid in pids.items()}
        stop_profilers(spies)
        rss = {name: rss_mb(pid) for name, pid in services.items()}
    finally:
        routed.stop()
        system.stop()

    completed = [r for r in results if r[1]]
    to_order = [r[2] for r in completed]
    to_event = [routed.arrivals[r[1]] - r[0] for r in completed if r[1] in routed.arrivals]
    report = {
        "backend": "postgresql" if opts.pg else "sqlite",
        "concurrency": opts.concurrency,
        "offered_calls_per_s": opts.rate or "as fast as answered (closed loop)",
        "duration_s": opts.duration,
        "calls": len(results),
        "completed": len(completed),
        "calls_per_s": round(len(completed) / max(elapsed, 1e-9), 1),
        "to_work_order_id": summary(to_order),
        "to_routing_event": summary(to_event),
        "routing_events_missing": len(completed) - len(to_event),
        "sent_to_fallback_queue": sum(not (r[3] or "").startswith("PJSIP/") for r in completed),
        "cpu_ms_per_call": per_call(cpu_used, len(completed)),
        "rss_mb_after_run": rss,
    }
    for name, (raw, _) in spies.items():
        report.setdefault("profile", {})[name] = summarise(
            raw, name, per_call(cpu_drained, len(completed))[name])
    if not opts.skip_ceiling:
        ceiling = measure_noop_ceiling(opts.duration, opts.concurrency, opts.processes)
        report["noop_ceiling"] = {
            key: round(value, 1) if isinstance(value, float) else value
            for key, value in ceiling.items()
        }
        report["ratio_to_noop_ceiling"] = round(
            report["calls_per_s"] / max(ceiling["calls_per_s"], 1e-9), 3)
    print(json.dumps(report, indent=2))
    return 0 if completed else 1


if __name__ == "__main__":
    sys.exit(main())
