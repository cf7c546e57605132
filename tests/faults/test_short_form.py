"""The fault suite's short form inside `make test` (issue 15; `make faults` runs the full one):
on its own private RabbitMQ node and PostgreSQL cluster, the calls service killed with SIGKILL
and the database stopped under simulated calls and API reads; nothing may be lost, duplicated
or left in a dead-letter queue (faults/checks.py). About 30 s of wall time (31 s measured)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("rabbitmq-server"),
                    reason="starts a private broker and database as their own users: root only")
def test_no_call_or_order_is_lost_or_duplicated_when_calls_dies_or_the_database_stops():
    done = subprocess.run(
        [sys.executable, "-m", "faults", "--short", "--backend", "postgresql"], cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=240)
    print(done.stdout)
    assert done.returncode == 0, done.stdout + done.stderr[-4000:]
    assert "| kill -9 calls |" in done.stdout and "| PostgreSQL stopped" in done.stdout
