"""Simulated callers (asterisk_sim) and API users, placing calls and reading orders back to back
while a fault happens; every call and request is recorded for the checks."""

from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

import requests

from asterisk_sim import place_call
from svckit.clock import wall_now

KNOWN_CALLERS = ("13800138000", "13900139000")  # registered customers (the demo seed)
COMMAND_TIMEOUT = 5.0


@dataclass
class PlacedCall:
    uniqueid: str
    started: float  # monotonic
    finished: float = 0.0
    wall_started: datetime = field(default_factory=wall_now)
    wall_finished: datetime | None = None
    reached: bool = False  # the platform answered (ANSWER came): it must keep a record
    order_id: str | None = None  # told to the caller (WORK_ORDER_ID)
    route_target: str | None = None
    ended: str = ""

    @property
    def fallback(self) -> bool:
        return bool(self.route_target) and self.route_target.startswith("Queue(")

    @property
    def served(self) -> bool:
        """Answered and routed to a person: the line works normally."""
        return self.order_id is not None and not self.fallback


@dataclass
class Traffic:
    agi_port: int
    api: str
    username: str
    password: str
    callers: int = 4
    readers: int = 1
    pause: float = 0.3  # between one caller's calls: about 3 calls/s a caller
    calls: list[PlacedCall] = field(default_factory=list)
    reads: list[tuple[float, bool]] = field(default_factory=list)  # (monotonic, succeeded)
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._stop.clear()
        self._threads = [threading.Thread(target=self._caller, daemon=True)
                         for _ in range(self.callers)]
        self._threads += [threading.Thread(target=self._reader, daemon=True)
                          for _ in range(self.readers)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(COMMAND_TIMEOUT * 4)

    def take(self) -> tuple[list[PlacedCall], list[tuple[float, bool]]]:
        """What was recorded so far, forgotten here."""
        with self._lock:
            calls, reads = self.calls, self.reads
            self.calls, self.reads = [], []
        return calls, reads

    def _caller(self) -> None:
        rng = random.Random()
        while not self._stop.is_set():
            placed = PlacedCall(f"{int(time.time())}.{uuid.uuid4().int % 10**9}",
                                time.monotonic())
            try:
                transcript = place_call(
                    "127.0.0.1", self.agi_port, uniqueid=placed.uniqueid,
                    caller_num=_caller_number(rng), digits=[rng.choice("1234")],
                    timeout=COMMAND_TIMEOUT)
                placed.reached = "ANSWER" in transcript.command_names
                placed.order_id = transcript.variables.get("WORK_ORDER_ID")
                placed.route_target = transcript.variables.get("ROUTE_TARGET")
                placed.ended = transcript.ended
            except OSError as exc:  # nobody listening: Asterisk's dialplan takes over
                placed.ended = type(exc).__name__
            placed.finished = time.monotonic()
            placed.wall_finished = wall_now()
            with self._lock:
                self.calls.append(placed)
            if not placed.reached:
                time.sleep(0.2)
            self._stop.wait(self.pause)

    def _reader(self) -> None:
        session, token = requests.Session(), None
        while not self._stop.is_set():
            ok = False
            try:
                if token is None:
                    token = self._login(session)
                reply = session.get(f"{self.api}/queues/mine",
                                    headers={"Authorization": f"Bearer {token}"}, timeout=5)
                ok = reply.ok
                if reply.status_code == 401:
                    token = None
            except requests.RequestException:
                pass
            with self._lock:
                self.reads.append((time.monotonic(), ok))
            self._stop.wait(self.pause * 2)

    def _login(self, session: requests.Session) -> str | None:
        reply = session.post(f"{self.api}/auth/token", json={
            "username": self.username, "password": self.password}, timeout=5)
        return reply.json()["access_token"] if reply.ok else None


def _caller_number(rng: random.Random) -> str:
    """Mostly callers never seen before, sometimes a registered customer."""
    if rng.random() < 0.2:
        return rng.choice(KNOWN_CALLERS)
    return f"135{rng.randrange(10**8):08d}"
