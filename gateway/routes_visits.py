"""The visits routes (issue 14, S5): a mixin of GatewayService with its own RPC proxy.

The gateway authenticates and passes the caller's staff id; the visits service decides who may
do what (services/visits/authority.py) and refuses with its refusals, mapped by the edge.
"""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from gateway import visits_models as v
from gateway import visits_replies as vr
from gateway.csvout import csv_download, to_csv
from gateway.edge import ApiError, route
from gateway.models import LeaveDecision
from gateway.shapes import fields_given, paged
from svckit.rpc import RpcProxy

CSV = ("application/json", "text/csv")


class VisitsRoutes:
    visits = RpcProxy("visits")

    def _visits(self, request: Request, method: str, *args):
        return self._as_caller(self.visits, request, method, *args)

    # --- customers (S5.2.2), quotas and salespeople (S5.2.3) -------------------------------

    @route("GET", "/api/visits/customers", query=v.VisitCustomerQuery,
           reply=vr.VisitCustomerPage)
    def visit_customers(self, request: Request, query: v.VisitCustomerQuery) -> dict:
        """The department's customers to visit, ``?kind=existing|target|potential|peer``."""
        kind = query.kind.value if query.kind else None
        return paged(request, self._visits(request, "list_customers", kind, query.cursor,
                                           query.limit))

    @route("POST", "/api/visits/customers", body=v.NewVisitCustomer,
           reply=vr.VisitCustomer)
    def visit_customer_add(self, request: Request, body: v.NewVisitCustomer) -> dict:
        """``{name, kind, phone?, contact_person?, address?}`` (a salesperson or the head)."""
        return self._visits(request, "register_customer", fields_given(body))

    @route("GET", "/api/visits/customers/<int:customer_id>",
           reply=vr.VisitCustomerDetail)
    def visit_customer(self, request: Request, customer_id: int) -> dict:
        """A customer with the visits to them and their open 95598 work orders."""
        return self._visits(request, "get_customer", customer_id)

    @route("GET", "/api/visits/quotas",
           reply=vr.Quotas)
    def visit_quotas(self, request: Request) -> dict:
        """Required visits per month of each sales position of the department (S5.2.3)."""
        return self._visits(request, "list_quotas")

    @route("PUT", "/api/visits/quotas/<string:position>", body=v.QuotaBody,
           reply=vr.Quota)
    def visit_quota_set(self, request: Request, position: str, body: v.QuotaBody) -> dict:
        """``{required_per_month}``: the department head keeps it (S5.2.3)."""
        return self._visits(request, "set_quota", position, body.required_per_month)

    @route("PUT", "/api/visits/salespeople/<int:staff_id>", body=v.SalespersonBody,
           reply=vr.Salesperson)
    def visit_salesperson(self, request: Request, staff_id: int,
                          body: v.SalespersonBody) -> dict:
        """``{position}``: the head puts a member of the department on a sales position."""
        return self._visits(request, "put_salesperson", staff_id, body.position)

    @route("GET", "/api/visits/progress", query=v.MonthQuery,
           reply=vr.Progress)
    def visit_progress(self, request: Request, query: v.MonthQuery) -> dict:
        """Visits done against the requirement (S5.2.3), ``?month=`` (default this month)."""
        return self._visits(request, "progress", query.month)

    # --- the monthly plan (S5.3.1) -----------------------------------------------------------

    @route("POST", "/api/visits/plans/<string:month>/visits", body=v.NewVisit,
           reply=vr.Visit)
    def visit_plan_add(self, request: Request, month: str, body: v.NewVisit) -> dict:
        """A visit in the caller's plan for ``month``; a change of an approved plan is
        reviewed again."""
        return self._visits(request, "add_visit", month, fields_given(body))

    @route("GET", "/api/visits/plans", query=v.PlanQuery,
           reply=vr.PlanPage)
    def visit_plans(self, request: Request, query: v.PlanQuery) -> dict:
        """Her own plans for a salesperson; the department's for its head."""
        return paged(request, self._visits(request, "list_plans", query.month, query.cursor,
                                           query.limit))

    @route("GET", "/api/visits/plans/<int:plan_id>",
           reply=vr.PlanDetail)
    def visit_plan(self, request: Request, plan_id: int) -> dict:
        return self._visits(request, "get_plan", plan_id)

    @route("POST", "/api/visits/plans/<int:plan_id>/submit",
           reply=vr.PlanDetail)
    def visit_plan_submit(self, request: Request, plan_id: int) -> dict:
        """The salesperson submits the plan to the department head (S5.3.1)."""
        return self._visits(request, "submit_plan", plan_id)

    @route("POST", "/api/visits/plans/<int:plan_id>/review", body=v.PlanReview,
           reply=vr.PlanDetail)
    def visit_plan_review(self, request: Request, plan_id: int, body: v.PlanReview) -> dict:
        """``{approve, comment}``: the head approves, or returns with comments (S5.3.1)."""
        return self._visits(request, "review_plan", plan_id, body.approve, body.comment)

    # --- a visit (S5.3.2-S5.3.4) -------------------------------------------------------------

    @route("GET", "/api/visits/<int:visit_id>",
           reply=vr.VisitDetail)
    def visit(self, request: Request, visit_id: int) -> dict:
        """A visit with its customer, expenses, follow-ups and matters raised."""
        return self._visits(request, "get_visit", visit_id)

    @route("POST", "/api/visits/<int:visit_id>/cancel",
           reply=vr.PlanDetail)
    def visit_cancel(self, request: Request, visit_id: int) -> dict:
        return self._visits(request, "cancel_visit", visit_id)

    @route("POST", "/api/visits/<int:visit_id>/preparation", body=v.Preparation,
           reply=vr.VisitDetail)
    def visit_prepare(self, request: Request, visit_id: int, body: v.Preparation) -> dict:
        """``{contacted, person_to_meet, materials, business_trip, trip_destination}``."""
        return self._visits(request, "prepare_visit", visit_id, fields_given(body))

    @route("POST", "/api/visits/<int:visit_id>/expenses", body=v.ExpenseBody,
           reply=vr.Expense)
    def visit_expense(self, request: Request, visit_id: int, body: v.ExpenseBody) -> dict:
        """``{kind, amount_cents, description}``; gifts and hosting wait for approval."""
        return self._visits(request, "apply_expense", visit_id, fields_given(body))

    @route("POST", "/api/visits/expenses/<int:expense_id>/<string:decision>",
           reply=vr.Expense)
    def visit_expense_decide(self, request: Request, expense_id: int, decision: str) -> dict:
        """approve or reject a gift or hosting (the department head, S5.3.3 (3))."""
        if decision == LeaveDecision.BACK:
            raise ApiError(404, f"no endpoint POST /api/visits/expenses/{expense_id}/back")
        return self._visits(request, "decide_expense", expense_id,
                            decision == LeaveDecision.APPROVE)

    @route("POST", "/api/visits/<int:visit_id>/done", body=v.VisitDone,
           reply=vr.VisitDetail)
    def visit_done(self, request: Request, visit_id: int, body: v.VisitDone) -> dict:
        """``{done_on?, outcome?}``: refused until the visit was prepared (S5.3.2)."""
        return self._visits(request, "mark_visit_done", visit_id, fields_given(body))

    @route("POST", "/api/visits/<int:visit_id>/report", body=v.ReportBody,
           reply=vr.VisitDetail)
    def visit_report(self, request: Request, visit_id: int, body: v.ReportBody) -> dict:
        """``{report, promises: [{what, due_on, owner_id?}]}`` (S5.3.4)."""
        return self._visits(request, "file_report", visit_id, fields_given(body))

    @route("POST", "/api/visits/<int:visit_id>/report/review", body=v.ReviewComment,
           reply=vr.VisitDetail)
    def visit_report_review(self, request: Request, visit_id: int,
                            body: v.ReviewComment) -> dict:
        """The supervisor reviews the report (S5.3.4 (1)): ``{comment}``."""
        return self._visits(request, "review_report", visit_id, body.comment)

    @route("POST", "/api/visits/<int:visit_id>/matters", body=v.MatterBody,
           reply=vr.Matter)
    def visit_matter(self, request: Request, visit_id: int, body: v.MatterBody) -> dict:
        """``{category, description, contact_number?}``: a 95598 work order is opened."""
        return self._visits(request, "raise_matter", visit_id, fields_given(body))

    # --- follow-ups (S5.3.4 (2)) and the evaluation (S5.3.4 (3)) ------------------------------

    @route("GET", "/api/visits/follow-ups", query=v.FollowUpQuery,
           reply=vr.FollowUpPage)
    def visit_follow_ups(self, request: Request, query: v.FollowUpQuery) -> dict:
        """The caller's follow-ups (the department's for its head), ``?state=open|done``."""
        return paged(request, self._visits(request, "list_follow_ups", query.state,
                                           query.cursor, query.limit))

    @route("POST", "/api/visits/follow-ups/<int:follow_up_id>/done", body=v.FollowUpDone,
           reply=vr.FollowUp)
    def visit_follow_up_done(self, request: Request, follow_up_id: int,
                             body: v.FollowUpDone) -> dict:
        return self._visits(request, "finish_follow_up", follow_up_id, body.result)

    @route("GET", "/api/visits/evaluations/<string:month>", query=v.VisitEvaluationQuery,
           produces=CSV, reply=vr.VisitEvaluation)
    def visit_evaluation(self, request: Request, month: str,
                         query: v.VisitEvaluationQuery) -> dict | Response:
        """The month's evaluation per salesperson, JSON or ``?format=csv``: the head's
        department, a salesperson's own."""
        rows = self._visits(request, "evaluation", month)
        if query.format == "csv":
            return csv_download(to_csv(rows), f"visits-evaluation-{month}.csv")
        return {"month": month, "items": rows}
