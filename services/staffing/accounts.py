"""Staff logins: Argon2 password hashes, verified off the eventlet hub and off the CPU that
routes calls.

An Argon2 verification costs ~0.3 s of CPU (64 MiB, 4 lanes). Run on the workers that route
calls, a flood of wrong passwords starved routing (issue 10). So a verification here:
- runs in a native thread (``eventlet.tpool``), never on the hub;
- is admitted only while fewer than ``max_pending`` logins are under way in the process (else
  busy at once, before any database work), then waits for one of a few slots (``HashSlots``):
  at most ``max_concurrent`` at once, and a caller that cannot get one in ``wait`` seconds is
  told the service is busy;
- runs at the lowest CPU priority (``nice`` 19 for that thread, and the lane threads Argon2
  starts inherit it): routing and everything else on the host come first.
An unknown username is verified against a dummy hash: the same work, the same time.
"""

from __future__ import annotations

import contextlib
import os
import threading

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from eventlet import tpool
from eventlet.semaphore import Semaphore
from nameko.extensions import DependencyProvider

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not anybody's password")  # computed once, at import
_lowered = threading.local()


class HashingBusy(Exception):
    """Every hashing slot stayed taken for the whole wait."""


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _low_priority(call, *args):
    """Run ``call`` in this native thread at the lowest CPU priority (once per thread)."""
    if not getattr(_lowered, "done", False):
        # not Linux: the priority stays, the slots still bound the work
        with contextlib.suppress(OSError, AttributeError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        _lowered.done = True
    return call(*args)


class HashSlots:
    """At most ``max_concurrent`` hash computations at once in this process."""

    def __init__(self, max_concurrent: int = 1, wait_seconds: float = 2.0,
                 max_pending: int = 4) -> None:
        self.max_concurrent = max_concurrent
        self.wait_seconds = wait_seconds
        self._slots = Semaphore(max_concurrent)
        self._pending = Semaphore(max_pending)

    @contextlib.contextmanager
    def admitted(self):
        """A login admitted at all: at most ``max_pending`` in this process, checked before
        any database work, so a burst of logins costs routing nothing. Raises HashingBusy."""
        if not self._pending.acquire(blocking=False):
            raise HashingBusy("too many logins at once; try again in a moment")
        try:
            yield
        finally:
            self._pending.release()

    def verify(self, password_hash: str | None, password: str) -> bool:
        """True when ``password`` matches; ``None`` as hash: an unknown user, always False
        after the same work. Raises HashingBusy."""
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise HashingBusy("too many logins at once; try again in a moment")
        try:
            return bool(tpool.execute(_low_priority, _verify, password_hash or _DUMMY_HASH,
                                      password)) and password_hash is not None
        finally:
            self._slots.release()

    def hash(self, password: str) -> str:
        if not self._slots.acquire(timeout=self.wait_seconds):
            raise HashingBusy("too many logins at once; try again in a moment")
        try:
            return tpool.execute(_low_priority, _hasher.hash, password)
        finally:
            self._slots.release()


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def verify_password(password_hash: str, password: str) -> bool:
    """True when ``password`` matches (in a native thread; no bound: for scripts and tests)."""
    return bool(tpool.execute(_verify, password_hash, password))


class Hashing(DependencyProvider):
    """The container's hashing slots, from config ``LOGIN: {max_concurrent_hashes,
    hash_wait_seconds}``."""

    def setup(self) -> None:
        login = self.container.config.get("LOGIN") or {}
        self.slots = HashSlots(int(login.get("max_concurrent_hashes", 1)),
                               float(login.get("hash_wait_seconds", 2)),
                               int(login.get("max_pending_logins", 4)))

    def get_dependency(self, worker_ctx) -> HashSlots:
        return self.slots
