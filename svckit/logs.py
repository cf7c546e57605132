"""Logs as one JSON object a line (python-json-logger), with the call's uniqueid and the work
order id wherever they are known, so one call is followed across services with one grep
(issue 17): ``grep '"uniqueid": "1700000000.42"' var/log/*.log``.

How the ids travel: :class:`LogContext` (a dependency every service has through
``svckit.service.Observed``) reads them from each worker's arguments (an AGI channel's
uniqueid; an RPC's or route's ``work_order_id`` / ``uniqueid``; an event payload's fields) and
from the worker's nameko context, which nameko sends along with every RPC the worker makes
(``nameko.uniqueid`` headers); code that learns an id later says :func:`bind`.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections import OrderedDict
from contextvars import ContextVar
from functools import cache
from weakref import WeakKeyDictionary

from nameko.extensions import DependencyProvider
from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from svckit.metrics import entrypoint_kind

IDS = ("uniqueid", "work_order_id")
_ALIASES = {"call_uniqueid": "uniqueid"}
_ids: dict[str, ContextVar[str | None]] = {name: ContextVar(name, default=None) for name in IDS}
_service: ContextVar[str | None] = ContextVar("service", default=None)
_worker: ContextVar[object | None] = ContextVar("worker", default=None)
_QUIET = {"metrics_page", "health_live", "health_ready"}  # probes and scrapes: no line each
_REMEMBERED = 10_000


class _Calls:
    """The uniqueid of work orders this process saw opened or handled with one, latest
    ``_REMEMBERED``: a later event naming only the order is logged with its call too."""

    def __init__(self) -> None:
        self._of: OrderedDict[str, str] = OrderedDict()

    def remember(self, work_order_id: str, uniqueid: str) -> None:
        self._of[work_order_id] = uniqueid
        self._of.move_to_end(work_order_id)
        while len(self._of) > _REMEMBERED:
            self._of.popitem(last=False)

    def of(self, work_order_id: str) -> str | None:
        return self._of.get(work_order_id)


_calls = _Calls()

log = logging.getLogger("csc.worker")


def bind(**ids: object) -> None:
    """Name ids of the current worker (``uniqueid``, ``work_order_id``): its later log lines
    and the RPCs it makes carry them."""
    worker_ctx = _worker.get()
    for name, value in ids.items():
        if name in _ids and value:
            _ids[name].set(str(value))
            if worker_ctx is not None:
                worker_ctx.data[name] = str(value)
    order, call = _ids["work_order_id"].get(), _ids["uniqueid"].get()
    if order and call:
        _calls.remember(order, call)
    elif order and (known := _calls.of(order)):
        bind(uniqueid=known)


def current() -> dict[str, str]:
    return {name: var.get() for name, var in _ids.items() if var.get()}


class ContextFilter(logging.Filter):
    """Adds ``service`` and the known ids to every record (put it on the handler)."""

    def __init__(self, service: str = "") -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = _service.get() or self.service
        for name, value in current().items():
            setattr(record, name, value)
        return True


class JsonFormatter(_JsonFormatter):
    """``{"time", "level", "service", "message", "logger", ...ids, ...extras}``."""

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("fmt", ["asctime", "levelname", "service", "message", "name"])
        kwargs.setdefault(
            "rename_fields", {"asctime": "time", "levelname": "level", "name": "logger"}
        )
        kwargs.setdefault("json_ensure_ascii", False)
        super().__init__(**kwargs)

    def formatTime(self, record, datefmt=None) -> str:  # noqa: N802 (logging's name)
        seconds = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
        return f"{seconds}.{int(record.msecs):03d}Z"


@cache
def _signature(cls: type, method: str) -> inspect.Signature | None:
    try:
        return inspect.signature(getattr(cls, method))
    except (AttributeError, TypeError, ValueError):
        return None


def ids_of(worker_ctx) -> dict[str, str]:
    """The ids a worker's context and arguments name."""
    found = {name: worker_ctx.data[name] for name in IDS if worker_ctx.data.get(name)}
    arguments = dict(worker_ctx.kwargs)
    signature = _signature(type(worker_ctx.service), worker_ctx.entrypoint.method_name)
    if signature is not None:
        try:
            bound = signature.bind_partial(None, *worker_ctx.args, **worker_ctx.kwargs)
            arguments.update(bound.arguments)
        except TypeError:
            pass
    candidates = [arguments, *(vars(arg) for arg in worker_ctx.args if hasattr(arg, "__dict__"))]
    for arg in worker_ctx.args:  # an AGI channel: its uniqueid is a property
        if isinstance(getattr(type(arg), "uniqueid", None), property):
            candidates.append({"uniqueid": arg.uniqueid})
    for source in candidates:
        for key, value in source.items():
            name = _ALIASES.get(key, key)
            if name in IDS and isinstance(value, (str, int)) and value and name not in found:
                found[name] = str(value)[:64]
    return found


class LogContext(DependencyProvider):
    """Sets each worker's log context and writes one line per worker that ends (entrypoint,
    outcome, milliseconds), except metrics scrapes, probes and timers."""

    def __init__(self) -> None:
        self._started: WeakKeyDictionary = WeakKeyDictionary()

    def worker_setup(self, worker_ctx) -> None:
        self._started[worker_ctx] = time.perf_counter()
        _service.set(self.container.service_name)
        _worker.set(worker_ctx)
        for var in _ids.values():
            var.set(None)
        bind(**ids_of(worker_ctx))

    def worker_result(self, worker_ctx, result=None, exc_info=None) -> None:
        entrypoint = worker_ctx.entrypoint
        kind = entrypoint_kind(entrypoint)
        started = self._started.pop(worker_ctx, None)
        if kind == "timer" or entrypoint.method_name in _QUIET:
            return
        elapsed = 1000 * (time.perf_counter() - started) if started else 0.0
        log.info(
            "%s %s %s in %.1f ms", kind, entrypoint.method_name,
            "raised " + type(exc_info[1]).__name__ if exc_info else "ok", elapsed,
            extra={"entrypoint": entrypoint.method_name, "duration_ms": round(elapsed, 1)},
        )

    def worker_teardown(self, worker_ctx) -> None:
        _worker.set(None)
        for var in _ids.values():
            var.set(None)
