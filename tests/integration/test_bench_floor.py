"""The floor benchmark runs (briefly) on every rung and each rung's calls all complete."""

import pytest

from tests.integration import harness

RUNGS = ["agi", "db", "rpc", "events"]


# SQLite only: the suite's time is near its bound on a slow day (the PostgreSQL case took
# about 45 s more; `python bench/floor.py --pg --duration 2` checks it by hand)
@pytest.mark.parametrize("backend", [[]], ids=["sqlite"])
def test_every_rung_reports_calls_and_no_errors(backend):
    report = harness.run_bench("floor.py", "--duration", "2", "--concurrency", "3",
                               "--processes", "1", "--drain", "10", "--rungs", ",".join(RUNGS),
                               *backend, timeout=300)
    assert [rung["rung"] for rung in report["rungs"]] == RUNGS
    for rung in report["rungs"]:
        assert rung["completed"] > 5 and rung["errors"] == 0, rung
        latency = rung["to_work_order_id"]
        assert 0 < latency["p50_ms"] <= latency["p95_ms"] <= latency["p99_ms"]
        assert rung["cpu_ms_per_call"]["front"] > 0 and rung["cpu_ms_per_call"]["callers"] > 0
        assert set(rung["rss_mb_after_run"]) == ({"front"} if rung["rung"] in ("agi", "db")
                                                 else {"front", "back"})
        if rung["rung"] in ("rpc", "events"):  # every call's RPC time, sent then answered
            waits = rung["rpc_waits_ms"]
            assert waits["calls"] == rung["calls"] and waits["sent"]["p50_ms"] > 0
            assert (waits["not_sent_in_time"] + waits["no_reply_in_time"]
                    == rung["sent_to_fallback_queue"])
        if backend and rung["rung"] != "agi":  # its backends' CPU, and no connection churn
            assert rung["cpu_ms_per_call"]["postgresql"] > 0
            assert sum(rung["postgresql_sessions_opened"].values()) < rung["calls"]
    events = report["rungs"][-1]["events"]
    # two events per call, and the warm-up's are not counted
    assert events["staged"] == 2 * report["rungs"][-1]["completed"]
    assert events["staged"] == events["published"] == events["consumed"]
