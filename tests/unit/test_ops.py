"""Issue 17's pure pieces: how a worker's end is counted, which ids a log line carries."""

from types import SimpleNamespace

import eventlet
from nameko.exceptions import RemoteError
from werkzeug.wrappers import Response

from gateway.edge import ApiError, ApiRoute, status_of
from svckit import logs
from svckit.metrics import outcome


class Refusal(Exception):
    pass


def test_a_service_refusal_is_not_a_failure():
    rpc = SimpleNamespace(expected_exceptions=(Refusal,))
    assert outcome(rpc, None) == "ok"
    assert outcome(rpc, Refusal("illegal transition")) == "refused"
    assert outcome(rpc, KeyError("bug")) == "failed"


def test_an_http_answer_counts_by_its_status():
    http = SimpleNamespace(expected_exceptions=())
    assert outcome(http, None, Response(status=200)) == "ok"
    assert outcome(http, None, Response(status=400)) == "refused"
    assert outcome(http, None, Response(status=503)) == "failed"
    assert outcome(http, None, {"items": []}) == "ok"


def test_the_gateway_counts_5xx_answers_as_failures_and_4xx_as_refusals():
    route = ApiRoute.__new__(ApiRoute)  # only its status_of is asked
    assert outcome(route, ApiError(404, "no such order")) == "refused"
    assert outcome(route, RemoteError("IllegalTransition", "closed")) == "refused"
    assert outcome(route, RemoteError("NotAllowed", "not yours")) == "refused"
    assert outcome(route, RemoteError("KeyError", "boom")) == "failed"  # 502
    assert outcome(route, eventlet.Timeout()) == "failed"  # 503
    assert outcome(route, RemoteError("StaffingUnavailable", "slow")) == "failed"  # 503
    assert outcome(route, ValueError("bug")) == "failed"  # 500
    assert status_of(RemoteError("KeyError", "boom")) == 502


class Service:
    def route_work_order(self, work_order_id: str, caller_number: str, category: str):
        pass

    def on_call_ended(self, event, ended):
        pass


def worker(method: str, args=(), kwargs=None, data=None):
    return SimpleNamespace(service=Service(), entrypoint=SimpleNamespace(method_name=method),
                           args=args, kwargs=kwargs or {}, data=data or {})


def test_ids_come_from_arguments_payloads_and_the_callers_context():
    rpc = worker("route_work_order", ("wo-1", "13800138000", "fault_report"),
                 data={"uniqueid": "1764.5"})
    assert logs.ids_of(rpc) == {"uniqueid": "1764.5", "work_order_id": "wo-1"}
    ended = SimpleNamespace(call_uniqueid="1764.6", work_order_id="wo-2", digits="2")
    assert logs.ids_of(worker("on_call_ended", (SimpleNamespace(id="e"), ended))) == {
        "uniqueid": "1764.6", "work_order_id": "wo-2"}
    assert logs.ids_of(worker("route_work_order", (), {"category": "inquiry"})) == {}
