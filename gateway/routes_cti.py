"""CTI at the edge (issue 16): coaching a live call (S3.2) and click-to-call callbacks (S1.10).

A mixin of GatewayService (nameko finds inherited entrypoints). Staffing decides who may coach
and holds the AMI connection; calls decides who may call a customer back from an order.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from gateway import models as m
from gateway import replies as r
from gateway.edge import ApiError, route
from gateway.shapes import paged


class CtiRoutes:
    @route("POST", "/api/coaching", body=m.CoachingBody, reply=r.CoachingEntry,
           summary="A leader listens to or whispers into an agent's live call (S3.2)")
    def coaching_start(self, request: Request, body: m.CoachingBody) -> dict:
        """Her phone rings, then joins the agent's call (staffing decides who may: a duty
        leader or above, an agent below her on a call); every attempt is audited."""
        return self._ask(self.staffing.coach_call, self._caller(request), body.staff_id,
                         body.mode)

    @route("GET", "/api/coaching", query=m.Page, reply=r.CoachingPage,
           summary="The coaching audit trail, newest first (duty leader and up)")
    def coaching_list(self, request: Request, query: m.Page) -> dict:
        page = self._ask(self.staffing.coaching_trail, self._caller(request), query.cursor,
                         query.limit)
        return paged(request, page)

    @route("POST", "/api/work-orders/<string:work_order_id>/callback-calls",
           reply=r.CallbackCallView,
           summary="Click-to-call: ring my phone, then the customer (S1.10)")
    def callback_call_start(self, request: Request, work_order_id: str) -> dict:
        """The outcome (reached, no_answer, busy...) arrives from Asterisk a little later;
        reached stops the order's callback clock."""
        attempt = self._ask(self.calls.call_customer_back, work_order_id,
                            self._caller(request))
        if attempt is None:
            raise ApiError(404, f"work order {work_order_id} not found", "work_order_not_found")
        return attempt

    @route("GET", "/api/work-orders/<string:work_order_id>/callback-calls", query=m.Page,
           reply=r.CallbackCallPage, summary="An order's click-to-call callbacks, newest first")
    def callback_call_list(self, request: Request, work_order_id: str, query: m.Page) -> dict:
        page = self._ask(self.calls.callback_calls, work_order_id, self._caller(request),
                         query.cursor, query.limit)
        if page is None:
            raise ApiError(404, f"work order {work_order_id} not found", "work_order_not_found")
        return paged(request, page)

