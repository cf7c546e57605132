"""Runs the real services in this process (nameko containers) on a real broker and databases."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import tempfile
import time
import traceback
import uuid
import warnings
from collections.abc import Callable
from datetime import datetime
from datetime import time as clock
from pathlib import Path

import eventlet
import greenlet
from nameko.containers import ServiceContainer
from nameko.web.server import WebServer

from gateway.service import GatewayService
from services.assets.models import Base as AssetsBase
from services.assets.service import AssetsService
from services.calls.models import Base as CallsBase
from services.calls.models import Customer, WorkOrder
from services.calls.service import CallsService
from services.inbox.models import Base as InboxBase
from services.inbox.service import InboxService
from services.staffing.accounts import hash_password
from services.staffing.models import Base as StaffingBase
from services.staffing.models import Department, Shift, StaffMember
from services.staffing.service import StaffingService
from services.visits.models import Base as VisitsBase
from services.visits.service import VisitsService
from svckit.agi.server import FastAgiServer
from svckit.clock import Clock
from svckit.db import ServiceStore

ROOT = Path(__file__).resolve().parents[2]
ALL_DAY = (clock(0), clock(0))
PASSWORD = "s3cret-test"


def migrate(db_urls: dict[str, str]) -> dict[str, ServiceStore]:
    """The services' stores on ``db_urls`` (already migrated: tests/databases.py)."""
    metadata = {"calls": CallsBase.metadata, "staffing": StaffingBase.metadata,
                "visits": VisitsBase.metadata,
                "inbox": InboxBase.metadata, "assets": AssetsBase.metadata}
    return {service: ServiceStore(url, metadata[service]) for service, url in db_urls.items()}


def add_staff(store: ServiceStore, people: list[tuple[str, ...]], shift=ALL_DAY) -> None:
    """people: (username, role, extension[, department]); everyone on the standing ``shift``
    every day (the roster's fallback), or on none with ``shift=None`` (rostered only)."""
    hashed = hash_password(PASSWORD)
    with store.transaction() as session:
        for username, role, extension, *department in people:
            session.add(
                StaffMember(
                    username=username,
                    name=username.title(),
                    role=role,
                    extension=extension,
                    department=department[0] if department else None,
                    password_hash=hashed,
                    shifts=[Shift(starts=shift[0], ends=shift[1])] if shift else [],
                )
            )


def add_departments(store: ServiceStore, *codes: str, kind: str = "section") -> None:
    """Departments staffing knows (a dispatch goes only to one of them, issue 10)."""
    with store.transaction() as session:
        for code in codes:
            if session.get(Department, code) is None:
                session.add(Department(code=code, name=code, kind=kind))


def add_customer(
    store: ServiceStore, number: str, name: str, work_unit: str, contact: str, address: str = ""
) -> None:
    with store.transaction() as session:
        session.add(
            Customer(
                number=number, name=name, work_unit=work_unit, contact=contact, address=address
            )
        )


def open_work_order(store: ServiceStore, order_id: str, opened: datetime, **fields) -> None:
    """A new inquiry order of caller 13900000001, written straight into calls' database as its
    call would open it (``fields``: other columns, e.g. a status or a routing)."""
    with store.transaction() as session:
        session.add(WorkOrder(id=order_id, call_uniqueid=f"1.{order_id}", category="inquiry",
                              ivr_category="inquiry", caller_number="13900000001",
                              caller_name="", created_at=opened, **fields))


def config(amqp_uri: str, db_url: str | None = None, **extra) -> dict:
    base = {
        "AMQP_URI": amqp_uri,
        "WEB_SERVER_ADDRESS": "127.0.0.1:0",
        "FASTAGI_ADDRESS": "127.0.0.1:0",
        "max_workers": 100,
        "HEARTBEAT": 15,
        "EVENT_RETRY": {"max_attempts": 3, "base_delay_seconds": 0.05},
        # a test's vhost lives seconds on one node; quorum queues are tested where they matter
        # (test_prometheus.py, test_quorum_migration.py)
        "EVENT_QUEUE_TYPE": "classic",
        # routing's bound: generous, as two shards of the suite load the machine (a PostgreSQL
        # routing took over a second there); the bound itself is tested in test_call_path
        "HOTLINE": {"route_timeout_ms": 3000, "prompts": {"timeout_ms": 100}},
        # orders that tests open in the database and leave new stay so (test_unrouted_sweep)
        "UNROUTED": {"sweep_seconds": 3600},
        # each service's own spool (made on first use), never one left in var/ by `make run`
        "SPOOL": {"folder": f"{tempfile.gettempdir()}/csc-spool-{uuid.uuid4().hex}"},
        "GATEWAY": {
            "token_secret": "test-secret-of-at-least-thirty-two-bytes",
            "rpc_timeout_seconds": 5,
            # tests change orders behind the gateway (RPC, sweeps) and read them back at once;
            # the memory of views, and its forgetting on events, is tested in test_order_reads
            "read_cache_seconds": 0,
        },
    }
    if db_url:
        base["DB_URL"] = db_url
    base.update(extra)
    return base


def start(cls, cfg: dict, at: datetime | None = None) -> ServiceContainer:
    """Start a service; with ``at`` its clock is pinned there before anything runs (its timers'
    first pass included), which needs ``TEST_CLOCK`` in ``cfg``."""
    container = ServiceContainer(cls, cfg)
    if at is not None:
        next(d for d in container.dependencies if isinstance(d, Clock)).set(at)
    container.start()
    return container


def stop(container: ServiceContainer, timeout: float = 20.0) -> None:
    """Stop a container; if it hangs, warn with every green thread's stack, then kill it.

    A warning, not a failure: the test's assertions have passed by then, and a rare shutdown
    hang seen once (under heavy load) must be diagnosed from these stacks, not block CI.
    """
    try:
        with eventlet.Timeout(timeout):
            container.stop()
    except eventlet.Timeout:
        stacks = [
            "".join(traceback.format_stack(obj.gr_frame))
            for obj in gc.get_objects()
            if isinstance(obj, greenlet.greenlet) and obj.gr_frame is not None
        ]
        container.kill()
        warnings.warn(
            f"{container.service_name} did not stop in {timeout} s; green threads:\n"
            + "\n".join(stacks),
            stacklevel=2,
        )


def shared(container: ServiceContainer, kind: type):
    return next(ext for ext in container.subextensions if isinstance(ext, kind))


def agi_port(container: ServiceContainer) -> int:
    return shared(container, FastAgiServer).port


def http_port(container: ServiceContainer) -> int:
    return shared(container, WebServer)._sock.getsockname()[1]


def wait_for(predicate: Callable[[], object], timeout: float = 10.0, interval: float = 0.05):
    """Poll until ``predicate`` returns something truthy; fail the test on time-out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s: {predicate}")


SERVICES = {"calls": CallsService, "staffing": StaffingService, "gateway": GatewayService,
            "visits": VisitsService,
            "assets": AssetsService,
            "inbox": InboxService}


def run_bench(script: str, *args: str, timeout: float) -> dict:
    """Run ``bench/<script>`` with ``args``; its JSON report (the run must succeed)."""
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=root,
                            capture_output=True, text=True, timeout=timeout, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout[result.stdout.index("{"):])

