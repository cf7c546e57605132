"""The end-to-end benchmark runs (briefly) and every routed call's event is matched."""

import pytest

from tests.integration import harness


@pytest.mark.parametrize("pace", [[], ["--rate", "5"]], ids=["closed-loop", "open-loop"])
def test_the_benchmark_reports_both_latencies(pace):
    report = harness.run_bench("e2e.py", "--duration", "2", "--concurrency", "2",
                               "--processes", "1", "--skip-ceiling", *pace, timeout=180)
    assert report["completed"] > 5 and report["completed"] == report["calls"]
    if pace:  # an open loop places exactly the calls due: 5 a second for 2 s
        assert report["calls"] == 10
    assert report["routing_events_missing"] == 0
    for figures in (report["to_work_order_id"], report["to_routing_event"]):
        assert 0 < figures["p50_ms"] <= figures["p95_ms"] <= figures["p99_ms"]
    assert set(report["rss_mb_after_run"]) == {"calls", "staffing"}
    assert all(20 < mb < 1000 for mb in report["rss_mb_after_run"].values())
