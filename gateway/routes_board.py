"""The leaders' board (issue 11, /work/briefs/contract11.md): ``GET /api/board``.

A mixin of GatewayService (nameko finds inherited entrypoints): the figures come from calls
(``board_figures``) and the members' states from staffing (``agent_states``), asked at once;
each service decides that the reader is a duty leader or above (S3.2), the gateway does not.
"""

from __future__ import annotations

from werkzeug.wrappers import Request

from gateway import replies as r
from gateway.edge import route


class BoardRoutes:
    @route("GET", "/api/board", reply=r.Board,
           summary="The leaders' board: calls, orders, agents and storms now (duty leader and up)")
    def board(self, request: Request) -> dict:
        """Calls of the last 15 minutes by IVR category, work orders by state, how many are
        overdue and escalated, the hotline's members by state and open storms, ``at`` the
        calls service's time."""
        caller = self._caller(request)

        def both() -> tuple[dict, dict]:
            figures = self.calls.board_figures.call_async(caller)
            members = self.staffing.agent_states.call_async(caller)
            return figures.result(), members.result()

        figures, members = self._ask(both)
        return {
            "calls_last_15_min": figures["calls_last_15_min"],
            "orders_by_state": figures["orders_by_state"],
            "overdue": figures["overdue"],
            "escalated": figures["escalated"],
            "agents": members["counts"],
            "agent_list": [{"staff_id": m["staff_id"], "name": m["name"], "state": m["state"]}
                           for m in members["items"]],
            "open_storms": figures["open_storms"],
            "at": figures["at"],
        }
