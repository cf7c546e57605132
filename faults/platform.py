"""The platform's services as `make run` runs them (nameko processes under scripts/supervise.py,
restarted when they die), pointed at the suite's private broker and databases and ports."""

from __future__ import annotations

import os
import signal
import sys
import threading
import time
from pathlib import Path

import requests

from faults.ports import answers, free_ports
from svckit.services import SERVICES

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "scripts"))
from supervise import Program, Supervisor  # noqa: E402

DATABASES = ("calls", "staffing", "assets", "visits", "inbox")
PASSWORD = "fault-suite"


class Platform:
    """``services``: the names to run (svckit/services.py), the gateway among them."""

    def __init__(self, folder: Path, amqp_uri: str, db_urls: dict[str, str],
                 services: tuple[str, ...]) -> None:
        self.folder = folder
        self.db_urls = db_urls
        self.services = [s for s in SERVICES if s.name in services]
        ports = free_ports(len(self.services) + 1)
        self.http = {s.name: ports[i] for i, s in enumerate(self.services)}
        self.agi_port = ports[-1]
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AMQP_URI": amqp_uri,
            "FASTAGI_ADDRESS": f"127.0.0.1:{self.agi_port}",
            "CALLS_SPOOL_FOLDER": str(folder / "spool"),
            "CALLS_SPOOL_REPLAY_SECONDS": "1",
            "RECOVERY_BEAT_SECONDS": "1",
            "RECOVERY_GONE_AFTER_SECONDS": "4",
            "GATEWAY_TOKEN_SECRET": "fault-suite-secret-of-at-least-32-bytes",
            "GATEWAY_READ_CACHE_SECONDS": "0",
            "DEMO_PASSWORD": PASSWORD,
            "LOG_LEVEL": "WARNING",
            **{f"{name.upper()}_DB_URL": url for name, url in db_urls.items()},
            **{s.address_env: f"127.0.0.1:{self.http[s.name]}" for s in self.services},
        }
        self.programs = {
            s.name: Program(s.name, [str(ROOT / ".venv" / "bin" / "nameko"), "run", "--config",
                                     s.config, s.entry])
            for s in self.services
        }
        self.supervisor: Supervisor | None = None
        self._thread: threading.Thread | None = None

    @property
    def api(self) -> str:
        return f"http://127.0.0.1:{self.http['gateway']}/api"

    def prepare(self) -> None:
        """The databases of the services it runs to head, and the demo hotline: its staff
        (agent01 on call round the clock) and customers (scripts/manage.py seeds the rest)."""
        from services.calls import seed as calls_seed
        from services.calls.models import Base as CallsBase
        from services.staffing import seed as staffing_seed
        from services.staffing.models import Base as StaffingBase
        from svckit.clock import wall_now
        from svckit.db import ServiceStore
        from svckit.migrations import upgrade

        for name in DATABASES:
            if name in self.programs:
                upgrade(ROOT / "services" / name, self.db_urls[name])
        staffing = ServiceStore(self.db_urls["staffing"], StaffingBase.metadata)
        calls = ServiceStore(self.db_urls["calls"], CallsBase.metadata)
        staffing_seed.seed_demo(staffing, PASSWORD)
        staffing_seed.seed_roster(staffing, wall_now())
        calls_seed.seed_demo(calls)
        staffing.dispose()
        calls.dispose()

    def start(self) -> None:
        os.environ.update(self.env)  # the supervisor's children inherit it
        self.supervisor = Supervisor(list(self.programs.values()), self.folder / "log")
        self._thread = threading.Thread(target=self.supervisor.run, daemon=True)
        self._thread.start()
        self.wait_ready()

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        for name, port in self.http.items():
            while not self.ready(name):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready on {port}; see {self.folder}/log")
                time.sleep(0.2)

    def ready(self, name: str) -> bool:
        if not answers(self.http[name]):
            return False
        try:
            path = "/health/ready"
            return requests.get(f"http://127.0.0.1:{self.http[name]}{path}", timeout=2).ok
        except requests.RequestException:
            return False

    def pid(self, name: str) -> int | None:
        process = self.programs[name].process
        return process.pid if process is not None and process.poll() is None else None

    def kill(self, name: str) -> None:
        """SIGKILL the service's process; the supervisor restarts it after its pause."""
        self.programs[name].signal(signal.SIGKILL)

    def stop(self) -> None:
        if self.supervisor is not None:
            self.supervisor.stop()
            self._thread.join(60)
        for program in self.programs.values():  # its logger outlives it (logging's registry)
            for handler in list(program.log.handlers):
                program.log.removeHandler(handler)
                handler.close()
