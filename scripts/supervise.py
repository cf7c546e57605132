"""Run every service of `make run` and keep them running (issue 15).

A service that dies is restarted after a growing pause (1 s, 2 s, ... at most 30 s; back to 1 s
once it has run for a minute) and the others keep running: one crash is not an outage. Each
service's output (one JSON object a line) is appended to ``var/log/<name>.log``, rotated at
``LOG_MAX_BYTES`` (20 MiB) with ``LOG_KEEP`` (3) older files, so the logs stay bounded.
SIGINT or SIGTERM stops everything once: a SIGTERM to each service (nameko stops gracefully),
SIGKILL for any still running after 20 s.

    python scripts/supervise.py            # the platform's services (svckit/services.py)
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from svckit.services import SERVICES  # noqa: E402

NAMEKO = str(ROOT / ".venv" / "bin" / "nameko")
LOG_BYTES = int(os.environ.get("LOG_MAX_BYTES", 20 * 1024 * 1024))
LOG_KEEP = int(os.environ.get("LOG_KEEP", 3))
STOP_SECONDS = 20.0
MAX_PAUSE_SECONDS = 30.0
STEADY_SECONDS = 60.0  # a run this long resets the pause

say = logging.getLogger("supervise")


def pause_before_restart(failures_in_a_row: int) -> float:
    """1 s after the first failure, doubling, at most MAX_PAUSE_SECONDS."""
    return min(MAX_PAUSE_SECONDS, 2.0 ** max(0, failures_in_a_row - 1))


@dataclass
class Program:
    name: str
    argv: list[str]
    process: subprocess.Popen | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float = 0.0
    log: logging.Logger = field(init=False)

    def __post_init__(self) -> None:
        self.log = logging.getLogger(f"supervise.output.{self.name}")
        self.log.propagate = False

    def open_log(self, folder: Path) -> None:
        handler = logging.handlers.RotatingFileHandler(
            folder / f"{self.name}.log", maxBytes=LOG_BYTES, backupCount=LOG_KEEP,
            encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(message)s"))
        self.log.addHandler(handler)
        self.log.setLevel(logging.INFO)

    def start(self) -> None:
        self.process = subprocess.Popen(
            self.argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True)  # Ctrl-C reaches us, not them
        self.started = time.monotonic()
        threading.Thread(target=self._copy_output, args=(self.process,), daemon=True).start()

    def _copy_output(self, process: subprocess.Popen) -> None:
        for line in iter(process.stdout.readline, b""):
            self.log.info(line.decode("utf-8", "replace").rstrip("\n"))

    def signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signum)


class Supervisor:
    def __init__(self, programs: list[Program], log_folder: Path) -> None:
        self.programs = programs
        self.stopping = threading.Event()
        log_folder.mkdir(parents=True, exist_ok=True)
        for program in programs:
            program.open_log(log_folder)

    def run(self) -> None:
        for program in self.programs:
            program.start()
        while not self.stopping.wait(0.2):
            for program in self.programs:
                self._look_after(program)
        self._stop_all()

    def stop(self, *_args) -> None:
        self.stopping.set()

    def _look_after(self, program: Program) -> None:
        now = time.monotonic()
        if program.process is None:
            if now >= program.restart_at:
                say.warning("restarting %s", program.name)
                program.log.info('{"supervisor": "restarting %s"}', program.name)
                program.start()
            return
        code = program.process.poll()
        if code is None:
            return
        ran = now - program.started
        program.failures = 1 if ran >= STEADY_SECONDS else program.failures + 1
        pause = pause_before_restart(program.failures)
        say.error("%s exited with code %s after %.0f s; restarting in %.0f s (see var/log/%s.log)",
                  program.name, code, ran, pause, program.name)
        program.process, program.restart_at = None, now + pause

    def _stop_all(self) -> None:
        for program in self.programs:
            program.signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for program in self.programs:
            if program.process is None:
                continue
            try:
                program.process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                say.error("%s did not stop within %.0f s: killed", program.name, STOP_SECONDS)
                program.signal(signal.SIGKILL)
                program.process.wait()


def platform_programs() -> list[Program]:
    """Every service of the platform, from its one list (svckit/services.py)."""
    return [Program(service.name, [NAMEKO, "run", "--config", service.config, service.entry])
            for service in SERVICES]


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="supervise: %(message)s")
    supervisor = Supervisor(platform_programs(), ROOT / "var" / "log")
    signal.signal(signal.SIGINT, supervisor.stop)
    signal.signal(signal.SIGTERM, supervisor.stop)
    supervisor.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
