"""Calls taken while the calls database was down, kept in a local spool file (issue 15).

Why a local file and not the broker: the degraded path must not depend on a second remote
system (a database outage and a broker outage often share a cause: the network), and one
append plus ``fsync`` on the machine's own disk is the cheapest durable write there is. The
price: the spool lives on the calls instance's disk, so that disk must outlive the process (a
persistent volume in Kubernetes, ``var/spool`` under `make run`).

Each process appends to its own file ``<folder>/<name>.jsonl``, one JSON object a line, made
durable (written and fsynced) before the caller is let go. Any instance on the machine replays
every file it can lock: each record is stored (idempotently: by uniqueid and work order id, see
hotline.store_spooled), then the file is removed. A writer holds the same lock while it
appends and writes again if the file was removed meanwhile, so no record lands in a file
already replayed. A line that cannot be read (a write torn by a crash) is set aside in
``rejected.jsonl`` for an operator, never dropped.
"""

from __future__ import annotations

import errno
import fcntl
import logging
import os
import uuid
from collections.abc import Callable
from pathlib import Path

import eventlet
from nameko.extensions import DependencyProvider
from prometheus_client import Counter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from contracts.events import Category
from services.calls.models import CALLER_NAME_MAX

log = logging.getLogger(__name__)

SPOOLED = Counter("csc_calls_spooled_total",
                  "Calls kept in the local spool because the calls database was down.")
REPLAYED = Counter("csc_calls_replayed_total",
                   "Spooled calls stored once the database was back (work order, call record).")
REJECTED = Counter("csc_spool_lines_rejected_total",
                   "Spool lines that could not be read (set aside in rejected.jsonl).")

SUFFIX = ".jsonl"
REJECTED_FILE = "rejected.jsonl"
LOCK_WAIT_SECONDS = 0.01
REPLAY_BATCH = 50


class SpooledCall(BaseModel):
    """What the caller did and was told, as the call record and work order need it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    uniqueid: str = Field(min_length=1, max_length=64)
    channel: str = Field(max_length=128)
    caller_number: str = Field(max_length=64)
    caller_name: str = Field(max_length=CALLER_NAME_MAX)
    dnid: str = Field(max_length=64)
    started_at: AwareDatetime
    ended_at: AwareDatetime
    digits: str = Field(max_length=32)  # what was keyed in the menu
    category: Category | None = None
    outcome: str = Field(max_length=30)
    route_target: str | None = Field(default=None, max_length=100)
    work_order_id: str | None = Field(default=None, max_length=36)  # told the caller
    opened_at: AwareDatetime | None = None  # when the order was opened (told)
    instance_id: str | None = Field(default=None, max_length=36)


class Spool:
    """One process's spool file in ``folder``, and the replay of every file there."""

    def __init__(self, folder: Path, name: str | None = None) -> None:
        self.folder = folder
        self.path = folder / f"{name or uuid.uuid4()}{SUFFIX}"

    def keep(self, record: SpooledCall) -> None:
        """Append ``record`` durably: written and fsynced when this returns."""
        line = (record.model_dump_json() + "\n").encode()
        self.folder.mkdir(parents=True, exist_ok=True)
        while True:
            created = not self.path.exists()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                _lock(fd)
                if not _still_at(fd, self.path):  # replayed and removed meanwhile: anew
                    continue
                os.write(fd, line)
                os.fsync(fd)
                if created:
                    _fsync_folder(self.folder)
                break
            finally:
                os.close(fd)  # closing lets the lock go
        SPOOLED.inc()

    def replay(self, store: Callable[[list[SpooledCall]], None]) -> int:
        """Store every record of every spool file not locked by a writer or another replayer,
        ``REPLAY_BATCH`` records at a time (one transaction each: an outage's calls are many);
        a file is removed once all its records are stored. Stops at the first failure to store
        (the database still down); the records stored so far are stored again next time,
        which changes nothing. Returns how many records were stored."""
        stored = 0
        for path in sorted(self.folder.glob(f"*{SUFFIX}")):
            if path.name == REJECTED_FILE:
                continue
            count, done = self._replay_file(path, store)
            stored += count
            if not done:
                break
        return stored

    def _replay_file(self, path: Path,
                     store: Callable[[list[SpooledCall]], None]) -> tuple[int, bool]:
        """(records stored, whether the file is done with: replayed, or not ours to replay)."""
        try:
            fd = os.open(path, os.O_RDWR)
        except FileNotFoundError:
            return 0, True
        try:
            if not _lock(fd, wait=False) or not _still_at(fd, path):
                return 0, True
            records = self._read(fd, path)
            for start in range(0, len(records), REPLAY_BATCH):
                batch = records[start:start + REPLAY_BATCH]
                try:
                    store(batch)
                except Exception:
                    log.warning("%d spooled calls not stored yet; the spool is kept",
                                len(records) - start, exc_info=True)
                    return start, False
                REPLAYED.inc(len(batch))
            path.unlink()
            _fsync_folder(self.folder)
            if records:
                log.info("replayed %d spooled calls from %s", len(records), path.name)
            return len(records), True
        finally:
            os.close(fd)

    def _read(self, fd: int, path: Path) -> list[SpooledCall]:
        with os.fdopen(os.dup(fd), "rb") as spooled:
            lines = spooled.read().splitlines()
        records = []
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                records.append(SpooledCall.model_validate_json(line))
            except ValidationError:
                log.error("spool %s line %d unreadable; set aside in %s",
                          path.name, number, REJECTED_FILE)
                self._set_aside(line)
        return records

    def _set_aside(self, line: bytes) -> None:
        fd = os.open(self.folder / REJECTED_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.rstrip(b"\n") + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        REJECTED.inc()


def _lock(fd: int, wait: bool = True) -> bool:
    """An exclusive lock on ``fd``, waited for cooperatively (never blocking the hub)."""
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return True
        except OSError as exc:
            if exc.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            if not wait:
                return False
        eventlet.sleep(LOCK_WAIT_SECONDS)


def _still_at(fd: int, path: Path) -> bool:
    """Whether ``path`` still names the file open as ``fd`` (not removed by a replay)."""
    try:
        return os.stat(path).st_ino == os.fstat(fd).st_ino
    except FileNotFoundError:
        return False


def _fsync_folder(folder: Path) -> None:
    """Make a file's creation or removal itself durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class CallSpool(DependencyProvider):
    """The process's :class:`Spool`, in ``config["SPOOL"]["folder"]`` (var/spool/calls)."""

    def setup(self) -> None:
        folder = (self.container.config.get("SPOOL") or {}).get("folder", "var/spool/calls")
        self.spool = Spool(Path(folder))

    def get_dependency(self, worker_ctx) -> Spool:
        return self.spool

