"""The console's routes (issue 11; /work/briefs/contract11.md): the live event stream, the
inbox, the screen pop and presence. A mixin GatewayService inherits (nameko finds inherited
entrypoints and dependencies).

Live messages come from this instance's BROADCAST queues (each gateway instance has its own,
dropped when it stops: a notice missed while no stream was open is in the inbox anyway):
``notice.created`` (inbox) to its recipient, ``outage.in_effect`` / ``outage.ended`` (calls)
to every hotline member's stream, ``staff.presence_changed`` (staffing) to the member's own.
"""

from __future__ import annotations

from nameko.events import BROADCAST
from werkzeug.wrappers import Request, Response

from contracts.events import hotline_role
from gateway import models as m
from gateway import replies as r
from gateway.edge import ApiError, route
from gateway.push import EventStream, PushHub
from gateway.shapes import paged
from svckit.events import event_handler
from svckit.rpc import RpcProxy

EVENT_STREAM = "text/event-stream"


def _live(source: str, event_type: str):
    return event_handler(source, event_type, handler_type=BROADCAST, reliable_delivery=False)


class ConsoleRoutes:
    inbox = RpcProxy("inbox")
    push = PushHub()

    # --- the stream ---------------------------------------------------------------------

    @route("GET", "/api/stream", produces=(EVENT_STREAM,),
           summary="Server-Sent Events for the console: notice, outage, presence; "
                   "`: keep-alive` every 15 s; ends when the token expires")
    def event_stream(self, request: Request) -> Response:
        """Subscribes, then returns: the body runs in the connection's green thread, no
        worker held (gateway/push.py)."""
        principal = self._authenticated(request)
        staff = self._ask(self.staffing.get_staff, principal.staff_id)
        if staff is None or staff.get("left_on"):
            raise ApiError(401, "the member is not on staff: sign in again", "token_revoked")
        subscriber = self.push.subscribe(principal.staff_id,
                                         hotline_role(staff.get("role")) is not None)
        revocations = self.tokens.revocations
        body = EventStream(
            self.push, subscriber, principal.expires_at,
            lambda: not revocations.revoked(principal.staff_id, principal.issued_at),
        )
        request.environ["eventlet.minimum_write_chunk_size"] = 0  # each message at once
        return Response(body, mimetype=EVENT_STREAM, direct_passthrough=True, headers={
            "Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @_live("inbox", "notice.created")
    def push_notice(self, event: dict) -> None:
        notice = event["payload"]
        view = {"id": notice["notice_id"], "kind": notice["kind"], "subject": notice["subject"],
                "params": notice.get("params") or {}, "created_at": notice["created_at"],
                "read_at": None}
        self.push.to_person(int(notice["recipient_id"]), "notice", view, notice["notice_id"])

    @_live("calls", "outage.in_effect")
    def push_outage_declared(self, event: dict) -> None:
        outage = event["payload"]
        self.push.to_hotline("outage", {**outage, "state": "declared"}, event["id"])

    @_live("calls", "outage.ended")
    def push_outage_lifted(self, event: dict) -> None:
        outage = event["payload"]
        self.push.to_hotline("outage", {**outage, "state": "lifted"}, event["id"])

    @_live("staffing", "staff.presence_changed")
    def push_presence(self, event: dict) -> None:
        presence = event["payload"]
        self.push.to_person(int(presence["staff_id"]), "presence", presence, event["id"])

    # --- the inbox ----------------------------------------------------------------------

    @route("GET", "/api/inbox", query=m.InboxQuery, reply=r.NoticePage)
    def inbox_list(self, request: Request, query: m.InboxQuery) -> dict:
        """The caller's notices, newest first, with her unread count."""
        page = self._ask(self.inbox.list_notices, self._caller(request), query.unread,
                         query.cursor, query.limit)
        return paged(request, page)

    @route("POST", "/api/inbox/<int:notice_id>/read", reply=r.Notice)
    def inbox_read(self, request: Request, notice_id: int) -> dict:
        return self._ask(self.inbox.read_notice, self._caller(request), notice_id)

    @route("POST", "/api/inbox/read-all", reply=r.NoticesRead)
    def inbox_read_all(self, request: Request) -> dict:
        return self._ask(self.inbox.read_all, self._caller(request))

    # --- the screen pop and presence ----------------------------------------------------

    @route("GET", "/api/work-orders/<string:work_order_id>/pop", reply=r.ScreenPop)
    def work_order_pop(self, request: Request, work_order_id: str) -> dict:
        """Caller, customer, IVR category, earlier orders and outages of the caller's area;
        read as the order is (calls decides)."""
        return self._ask(self.calls.work_order_pop, work_order_id, self._caller(request))

    @route("GET", "/api/presence", reply=r.Presence)
    def presence_get(self, request: Request) -> dict:
        return self._ask(self.staffing.get_presence, self._caller(request))

    @route("PUT", "/api/presence", body=m.PresenceBody, reply=r.Presence)
    def presence_set(self, request: Request, body: m.PresenceBody) -> dict:
        """``{state: ready|away, reason}``: routing honours it at once (staffing decides who
        may: the hotline's staff)."""
        return self._ask(self.staffing.set_presence, self._caller(request), body.state.value,
                         body.reason.value if body.reason else None)

