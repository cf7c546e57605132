"""The no-op ceiling benchmark runs end to end (briefly) and reports the promised figures."""

import importlib.util
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "agi_ceiling.py"


def test_measure_noop_ceiling_smoke():
    spec = importlib.util.spec_from_file_location("agi_ceiling", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    figures = bench.measure_noop_ceiling(duration_s=1, concurrency=4)
    assert {"calls_per_s", "p50_ms", "p95_ms", "p99_ms"} <= figures.keys()
    assert figures["completed"] > 10 and figures["failed"] == 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert figures["calls_per_s"] > 10
