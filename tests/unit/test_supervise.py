"""`make run`'s supervisor (scripts/supervise.py): a dead service is restarted, the others keep
running, a stop stops everything once."""

import sys
import threading
import time

from scripts.supervise import Program, Supervisor, pause_before_restart


def test_the_pause_before_a_restart_grows_and_is_bounded():
    assert [pause_before_restart(n) for n in (1, 2, 3, 4, 6, 9)] == [1, 2, 4, 8, 30, 30]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_service_that_dies_is_restarted_and_the_others_keep_running(tmp_path):
    marker = tmp_path / "crashed-once"
    flaky = Program("flaky", [sys.executable, "-c", (
        "import pathlib, sys, time\n"
        f"marker = pathlib.Path({str(marker)!r})\n"
        "print('flaky up', flush=True)\n"
        "if not marker.exists():\n"
        "    marker.touch(); sys.exit(3)\n"
        "time.sleep(60)\n")])
    steady = Program("steady", [sys.executable, "-c", "import time; time.sleep(60)"])
    supervisor = Supervisor([flaky, steady], tmp_path / "log")
    running = threading.Thread(target=supervisor.run)
    running.start()
    try:
        assert wait_for(lambda: marker.exists() and steady.process is not None)
        steady_pid = steady.process.pid
        assert wait_for(lambda: flaky.process is not None and flaky.process.poll() is None
                        and flaky.failures == 1, timeout=10)
        assert steady.process.pid == steady_pid  # untouched by the other's crash
        log = tmp_path / "log" / "flaky.log"
        assert wait_for(lambda: log.read_text().count("flaky up") == 2)
    finally:
        supervisor.stop()
        running.join(30)
    assert not running.is_alive()
    assert flaky.process.poll() is not None and steady.process.poll() is not None
    assert "restarting flaky" in log.read_text()
