"""A work order as calls last showed it to a member, remembered for a moment (issue 10).

The console reads the same orders all day. Each read through calls costs an RPC round trip and
several SQL statements; most of them would return what the previous one did. So the gateway
keeps calls' answer to (member, order), already encoded as JSON, and serves it again:

- The answer is calls' decision, made from current data (services/calls/access.py); the gateway
  only repeats it, never decides. Both the view and the permission to read it are remembered.
- Forgotten at once when anything happens to the order: each gateway follows ``work_order.*``
  on a queue of its own, and forgets after its own writes (read-your-writes), and forgets a
  member on ``staff.*`` events (a transfer or role change alters what she may read).
- Kept at most ``read_cache_seconds`` (2 s by default, 0 turns it off; refreshed after half of
  that by the next reader while the others are still served it): what no event of the
  order announces (a deadline passing, another order of the same caller changing who serves
  him, and so what a seat agent may read) is at most that old, as calls' own staff directory.
- A reply that was in flight while its order or member was forgotten is not kept (``ticket``).
- One question at a time per (member, order): reads that miss while calls is being asked wait
  for that answer instead of asking again (:meth:`OrderViews.load`), so a view expiring under
  fifty readers costs one RPC, not fifty.
- A view in memory is served before any worker is taken (:func:`remembered_view`, the route's
  ``remembered``): the token is checked as the handler checks it, then the answer is written.
  Such reads are counted in ``csc_gateway_order_reads_total{result="hit"}``, not as workers.
  That includes a view in the second half of its life while one reader refreshes it: the
  others are served at once, not sent through a worker to be served the same bytes there
  (once a second, under fifty readers, that detour was the read path's costliest moment).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable

from eventlet.event import Event
from nameko.extensions import DependencyProvider
from prometheus_client import Counter
from werkzeug.wrappers import Request, Response

READS = Counter(
    "csc_gateway_order_reads_total",
    "Work-order reads at the gateway, by whether calls was asked (miss) or not (hit).",
    ["result"],
)
HITS, MISSES = READS.labels("hit"), READS.labels("miss")
DEFAULT_SECONDS = 2.0
DEFAULT_ENTRIES = 10_000
FORGET_MEMORY_SECONDS = 60.0  # a reply slower than this is never kept


class OrderViews:
    """Encoded work-order views by (member, order), bounded in age and number."""

    def __init__(self, seconds: float = DEFAULT_SECONDS, entries: int = DEFAULT_ENTRIES,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds, self.entries, self._clock = seconds, entries, clock
        self._views: OrderedDict[tuple[int, str], tuple[float, bytes]] = OrderedDict()
        self._members_of: dict[str, set[int]] = {}
        self._forgotten: dict[tuple[str, object], float] = {}
        self._asking: dict[tuple[int, str], Event] = {}

    def load(self, staff_id: int, work_order_id: str,
             ask: Callable[[], bytes | None]) -> bytes | None:
        """The kept view, or ``ask()``'s answer (kept when it is one); ``None`` is not kept.
        While one reader asks, the others for the same key wait for its answer; if it fails,
        each asks for herself (and so meets the same refusal). A view past half its life is
        refreshed by the reader who finds it so, while the others are still served it: under
        steady reading a view never expires and nobody waits for calls."""
        if (body := self.get(staff_id, work_order_id)) is not None:
            return body
        key = (staff_id, work_order_id)
        if (asking := self._asking.get(key)) is not None:
            answered = asking.wait()
            if answered is not None:
                return answered
            return ask()
        self._asking[key] = asking = Event()
        answer = None
        try:
            ticket = self.ticket()
            answer = ask()
            if answer is not None:
                self.keep(staff_id, work_order_id, answer, ticket)
            return answer
        finally:
            del self._asking[key]
            asking.send(answer)

    def ticket(self) -> float:
        """Taken before asking calls; :meth:`keep` refuses the answer if anything it rests
        on was forgotten since."""
        return self._clock()

    def get(self, staff_id: int, work_order_id: str, count_miss: bool = True) -> bytes | None:
        """The view while in the first half of its life, or later within its life while a
        reader is refreshing it (past half its life, :meth:`load` refreshes it)."""
        key = (staff_id, work_order_id)
        kept = self._views.get(key)
        if kept is not None:
            age = self._clock() - kept[0]
            if age <= self.seconds / 2 or (age <= self.seconds and key in self._asking):
                HITS.inc()
                return kept[1]
        if count_miss:
            MISSES.inc()
        return None

    def keep(self, staff_id: int, work_order_id: str, body: bytes, ticket: float) -> None:
        if self.seconds <= 0 or self._clock() - ticket > FORGET_MEMORY_SECONDS:
            return
        if (self._forgotten.get(("order", work_order_id), -1.0) >= ticket
                or self._forgotten.get(("member", staff_id), -1.0) >= ticket
                or self._forgotten.get(("all", None), -1.0) >= ticket):
            return
        key = (staff_id, work_order_id)
        self._views[key] = (ticket, body)
        self._views.move_to_end(key)
        self._members_of.setdefault(work_order_id, set()).add(staff_id)
        while len(self._views) > self.entries:
            (old_member, old_order), _ = self._views.popitem(last=False)
            self._drop_member_of(old_order, old_member)

    def forget_order(self, work_order_id: str) -> None:
        self._remember_forgetting(("order", work_order_id))
        for staff_id in self._members_of.pop(work_order_id, ()):
            self._views.pop((staff_id, work_order_id), None)

    def forget_all(self) -> None:
        """Every view; answers in flight are not kept either."""
        self._views.clear()
        self._members_of.clear()
        self._forgotten[("all", None)] = self._clock()

    def forget_member(self, staff_id: int) -> None:
        self._remember_forgetting(("member", staff_id))
        for key in [key for key in self._views if key[0] == staff_id]:
            del self._views[key]
            self._drop_member_of(key[1], staff_id)

    def _drop_member_of(self, work_order_id: str, staff_id: int) -> None:
        members = self._members_of.get(work_order_id)
        if members is not None:
            members.discard(staff_id)
            if not members:
                del self._members_of[work_order_id]

    def _remember_forgetting(self, what: tuple[str, object]) -> None:
        now = self._clock()
        self._forgotten[what] = now
        if len(self._forgotten) > self.entries:  # older than any reply still kept: drop
            horizon = now - FORGET_MEMORY_SECONDS
            self._forgotten = {k: at for k, at in self._forgotten.items() if at >= horizon}


class OrderReads(DependencyProvider):
    """One :class:`OrderViews` per gateway, sized from ``GATEWAY.read_cache_seconds`` and
    ``GATEWAY.read_cache_entries``."""

    def setup(self) -> None:
        settings = self.container.config.get("GATEWAY") or {}
        self.views = OrderViews(
            float(settings.get("read_cache_seconds", DEFAULT_SECONDS)),
            int(settings.get("read_cache_entries", DEFAULT_ENTRIES)),
        )

    def get_dependency(self, worker_ctx) -> OrderViews:
        return self.views


def remembered_view(container, request: Request) -> Response | None:
    """``GET /api/work-orders/<id>`` from memory, before a worker is taken; None when the view
    is not kept (or the revocation list is not loaded yet): the handler answers then."""
    from gateway.tokens import TokenGuard, authenticate

    guard = _provider(container, TokenGuard).state
    if not guard.revocations.loaded:
        return None
    secret = container.config["GATEWAY"]["token_secret"]
    principal = authenticate(request.headers.get("Authorization"), secret, guard.revocations,
                             guard.verified)
    body = _provider(container, OrderReads).views.get(  # a miss is counted by the handler
        principal.staff_id, request.path_values["work_order_id"], count_miss=False)
    return None if body is None else Response(body, mimetype="application/json")


def _provider(container, kind: type):
    return next(d for d in container.dependencies if isinstance(d, kind))
