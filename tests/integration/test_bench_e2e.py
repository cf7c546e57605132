"""The end-to-end benchmark runs (briefly) and every routed call's event is matched."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_benchmark_reports_both_latencies():
    result = subprocess.run(
        [
            sys.executable,
            "bench/e2e.py",
            "--duration",
            "2",
            "--concurrency",
            "2",
            "--processes",
            "1",
            "--skip-ceiling",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    report = json.loads(result.stdout[result.stdout.index("{") :])
    assert report["completed"] > 5 and report["completed"] == report["calls"]
    assert report["routing_events_missing"] == 0
    for figures in (report["to_work_order_id"], report["to_routing_event"]):
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
