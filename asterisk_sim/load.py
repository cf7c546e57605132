"""Load mode: many simulated callers in parallel, latency from connect to a variable being set.

Threads inside each process (green threads under eventlet), optionally several processes so
the load generator is not limited by one GIL.
"""

from __future__ import annotations

import math
import multiprocessing
import random
import threading
import time
from dataclasses import dataclass, field

from asterisk_sim.call import place_call

LATENCY_VARIABLE = "WORK_ORDER_ID"


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile: the smallest value with at least ``pct`` % of the values at or
    below it, rank ceil(pct / 100 * n) (nan when there are no values)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = math.ceil(pct * len(ordered) / 100)
    return ordered[max(0, min(len(ordered), rank) - 1)]


@dataclass
class LoadReport:
    """Totals of one load run; latencies in seconds, connect to ``LATENCY_VARIABLE`` set."""

    calls: int = 0
    completed: int = 0
    failed: int = 0
    connect_errors: int = 0
    elapsed_seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    @property
    def calls_per_second(self) -> float:
        return self.completed / self.elapsed_seconds if self.elapsed_seconds else 0.0

    def percentile_ms(self, pct: float) -> float:
        """Nearest-rank percentile of the latencies, in milliseconds (nan when empty)."""
        return percentile(self.latencies, pct) * 1000

    def merge(self, other: LoadReport) -> None:
        self.calls += other.calls
        self.completed += other.completed
        self.failed += other.failed
        self.connect_errors += other.connect_errors
        self.elapsed_seconds = max(self.elapsed_seconds, other.elapsed_seconds)
        self.latencies += other.latencies
        for key, count in other.errors.items():
            self.errors[key] = self.errors.get(key, 0) + count

    def summary(self) -> dict[str, float]:
        return {
            "calls_per_s": round(self.calls_per_second, 1),
            "p50_ms": round(self.percentile_ms(50), 2),
            "p95_ms": round(self.percentile_ms(95), 2),
            "p99_ms": round(self.percentile_ms(99), 2),
        }

    def format(self) -> str:
        s = self.summary()
        lines = [
            f"calls: {self.calls}  completed: {self.completed}  failed: {self.failed}"
            f"  connect errors: {self.connect_errors}  in {self.elapsed_seconds:.1f} s",
            f"throughput: {s['calls_per_s']} calls/s",
            f"connect -> {LATENCY_VARIABLE} set: p50 {s['p50_ms']} ms  p95 {s['p95_ms']} ms"
            f"  p99 {s['p99_ms']} ms",
        ]
        lines += [f"  error {key}: {count}" for key, count in sorted(self.errors.items())]
        return "\n".join(lines)


def _caller_loop(
    host: str,
    port: int,
    script: str,
    deadline: float,
    report: LoadReport,
    lock: threading.Lock,
    timeout: float,
) -> None:
    rng = random.Random()
    while time.perf_counter() < deadline:
        digits = [rng.choice("0123456789") for _ in range(3)]
        try:
            transcript = place_call(host, port, script=script, digits=digits, timeout=timeout)
        except OSError as exc:
            with lock:
                report.calls += 1
                report.connect_errors += 1
                key = type(exc).__name__
                report.errors[key] = report.errors.get(key, 0) + 1
            time.sleep(0.05)
            continue
        latency = transcript.latency_to(LATENCY_VARIABLE)
        with lock:
            report.calls += 1
            if latency is not None and transcript.ended in ("completed", "server_hangup"):
                report.completed += 1
                report.latencies.append(latency)
            else:
                report.failed += 1
                report.errors[transcript.ended] = report.errors.get(transcript.ended, 0) + 1


def run_load_threads(
    host: str,
    port: int,
    concurrency: int,
    duration: float,
    script: str = "95598",
    timeout: float = 10.0,
) -> LoadReport:
    """``concurrency`` callers in this process, each placing calls back to back."""
    report, lock = LoadReport(), threading.Lock()
    started = time.perf_counter()
    deadline = started + duration
    threads = [
        threading.Thread(
            target=_caller_loop,
            args=(host, port, script, deadline, report, lock, timeout),
            daemon=True,
        )
        for _ in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + timeout + 5)
    report.elapsed_seconds = time.perf_counter() - started
    return report


def _worker(args: tuple) -> LoadReport:
    return run_load_threads(*args)


def run_load(
    host: str,
    port: int,
    concurrency: int,
    duration: float,
    processes: int = 1,
    script: str = "95598",
    timeout: float = 10.0,
) -> LoadReport:
    """Place calls with random digits from ``concurrency`` parallel callers for ``duration`` s.

    With ``processes > 1`` the callers are spread over that many processes (spawned, so this
    is safe from a monkey-patched parent only if the children are not patched).
    """
    processes = max(1, min(processes, concurrency))
    if processes == 1:
        return run_load_threads(host, port, concurrency, duration, script, timeout)
    shares = [concurrency // processes + (i < concurrency % processes) for i in range(processes)]
    jobs = [(host, port, share, duration, script, timeout) for share in shares]
    report = LoadReport()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for part in pool.map(_worker, jobs):
            report.merge(part)
    return report
