"""Issue 11's server side as one flow per database: the live stream (SSE) with screen pops,
outages and presence; presence honoured by routing; the inbox durable across a restart."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import eventlet
import pika
import requests

from services.staffing.seed import seed_org
from svckit import workdays
from svckit.broker import pika_parameters
from svckit.clock import wall_now
from tests.integration import harness
from tests.integration.client import call, get, login, post, put, start_system

EXTRA_DATABASES = ("inbox",)  # tests/conftest.py db_urls

CUSTOMER = ("13700137000", "王五", "城南机械厂", "0571-87654321", "城南区解放路1号")
POP_BOUND_SECONDS = 1.0


class Stream:
    """An open ``GET /api/stream``, read in a green thread: (arrival wall time, event, data)."""

    def __init__(self, system: dict, headers: dict) -> None:
        self.response = requests.get(f"{system['api']}/stream", headers=headers, stream=True,
                                     timeout=30)
        assert self.response.status_code == 200, self.response.text
        assert self.response.headers["Content-Type"].startswith("text/event-stream")
        self.messages: list[tuple[float, str, dict]] = []
        self.comments: list[str] = []
        self.reader = eventlet.spawn(self._read)

    def _read(self) -> None:
        buffer = ""
        for chunk in self.response.iter_content(chunk_size=None, decode_unicode=True):
            buffer += chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                fields = dict(line.split(": ", 1) for line in block.split("\n") if ": " in line)
                if "event" in fields:
                    self.messages.append((time.time(), fields["event"],
                                          json.loads(fields["data"])))
                else:
                    self.comments.append(block)

    def wait(self, event: str, match=lambda data: True, timeout: float = 10.0):
        def found():
            return next(((at, data) for at, name, data in self.messages
                         if name == event and match(data)), None)
        return harness.wait_for(found, timeout)

    def close(self) -> None:
        self.reader.kill()
        self.response.close()


class RoutedListener:
    """When each ``work_order.routed`` was published (arrival at a queue of the test's own)."""

    def __init__(self, amqp_uri: str) -> None:
        self.connection = pika.BlockingConnection(pika_parameters(amqp_uri))
        channel = self.connection.channel()
        channel.exchange_declare("staffing.events", "topic", durable=True)
        queue = channel.queue_declare("", exclusive=True).method.queue
        channel.queue_bind(queue, "staffing.events", "work_order.routed")
        channel.basic_consume(queue, self._on_message, auto_ack=True)
        self.seen: dict[str, float] = {}
        self.running = True
        self.thread = eventlet.spawn(self._run)

    def _on_message(self, _channel, _method, _properties, body) -> None:
        self.seen[json.loads(body)["payload"]["work_order_id"]] = time.time()

    def _run(self) -> None:
        while self.running:
            self.connection.process_data_events(time_limit=0.05)

    def close(self) -> None:
        self.running = False
        self.thread.wait()
        self.connection.close()


def test_pops_presence_outages_and_a_durable_inbox(stores, hotline_staff, inbox_store,
                                                    run_service, amqp_uri, db_urls):
    harness.add_customer(stores["calls"], *CUSTOMER)
    seed_org(stores["staffing"], harness.PASSWORD)  # the hotline's head post: lead01, leader01
    first_inbox = harness.start(harness.InboxService, harness.config(amqp_uri, db_urls["inbox"]))
    system = start_system(stores, run_service, amqp_uri)
    agent01, leader01 = login(system, "agent01"), login(system, "leader01")
    routed = RoutedListener(amqp_uri)
    stream = Stream(system, agent01)
    try:
        # an outage declared by a leader reaches the agent's open page
        declared = post(system, "/outages", leader01, {
            "area": "城南区", "description": "10kV 线路故障", "address_keywords": ["城南区"]})
        assert declared.status_code == 200, declared.text
        _, banner = stream.wait("outage", lambda d: d["outage_id"] == declared.json()["id"])
        assert banner["state"] == "declared" and banner["area"] == "城南区"

        # a routed call pops on her open stream within the bound, with what the pop shows
        first = call(system, caller_num=CUSTOMER[0], digits=["2"]).variables["WORK_ORDER_ID"]
        arrived, notice = stream.wait(
            "notice", lambda d: d["kind"] == "screen_pop" and d["subject"]["id"] == first)
        published = harness.wait_for(lambda: routed.seen.get(first))
        latency = arrived - published
        print(f"\nscreen pop: routing event published -> SSE message at the client "
              f"{latency * 1000:.0f} ms")
        assert 0 <= latency < POP_BOUND_SECONDS
        assert notice["params"] == {"work_order_id": first, "caller_number": CUSTOMER[0],
                                    "category": "fault_report",
                                    "reason": "least_loaded_seat_agent"}
        assert notice["read_at"] is None
        pop = get(system, f"/work-orders/{first}/pop", agent01).json()
        assert pop["customer"] == {"name": "王五", "work_unit": "城南机械厂",
                                   "contact": "0571-87654321", "address": "城南区解放路1号"}
        assert (pop["caller_number"], pop["category"]) == (CUSTOMER[0], "fault_report")
        assert [o["id"] for o in pop["outages"]] == [declared.json()["id"]]
        assert pop["earlier_orders"] == [] and pop["earlier_total"] == 0

        # away: the viewer's own stream is told, and the caller's next call is not routed to
        # her (though she owns the caller's open order), but to agent02, who is offline
        away = put(system, "/presence", agent01, {"state": "away", "reason": "training"})
        assert away.json()["state"] == "away" and away.json()["reason"] == "training"
        stream.wait("presence", lambda d: d["state"] == "away")
        second = call(system, caller_num=CUSTOMER[0], digits=["1"]).variables["WORK_ORDER_ID"]
        agent02 = login(system, "agent02")
        waiting = harness.wait_for(lambda: get(
            system, "/inbox?unread=true", agent02).json()["items"])
        assert [(n["kind"], n["subject"]["id"]) for n in waiting] == [("screen_pop", second)]
        assert not any(d["subject"]["id"] == second for _, name, d in stream.messages
                       if name == "notice")
        pop = get(system, f"/work-orders/{second}/pop", agent02).json()
        assert [o["work_order_id"] for o in pop["earlier_orders"]] == [first]
        assert pop["earlier_total"] == 1
        assert get(system, f"/work-orders/{second}/pop", login(system, "lead01")).ok

        # an escalation reaches the leader on duty, a leave request its approver
        escalated = post(system, f"/work-orders/{second}/escalate", agent02,
                         {"reason": "客户要求领导处理"})
        assert escalated.status_code == 200, escalated.text
        lead01 = login(system, "lead01")
        after_tomorrow = workdays.local_date(wall_now()) + timedelta(days=2)  # any day
        leave = post(system, "/leave", agent01, {"leave_type": "personal", "half_days": 1,
                                                 "starts_on": after_tomorrow.isoformat()})
        assert leave.status_code == 200, leave.text

        def inbox(headers, kind):
            items = get(system, "/inbox", headers).json()["items"]
            return [n for n in items if n["kind"] == kind]

        [told] = harness.wait_for(lambda: inbox(leader01, "work_order.escalated"))
        assert told["params"]["live"] is True and told["subject"]["id"] == second
        [asked] = harness.wait_for(lambda: inbox(lead01, "leave.requested"))
        assert asked["params"]["leave_id"] == leave.json()["id"]

        # the inbox keeps them across a restart of the inbox service; reading is one's own
        harness.stop(first_inbox)
        run_service("inbox")
        assert inbox(leader01, "work_order.escalated") == [told]
        assert inbox(lead01, "leave.requested") == [asked]
        assert post(system, f"/inbox/{asked['id']}/read", leader01).status_code == 404
        read = post(system, f"/inbox/{asked['id']}/read", lead01).json()
        assert read["read_at"] is not None
        page = get(system, "/inbox?unread=true", lead01).json()
        assert asked["id"] not in [n["id"] for n in page["items"]]
        assert page["unread_count"] == len(page["items"])

        # open streams hold no worker: a gateway of two workers with three streams open answers
        small = harness.http_port(run_service("gateway", max_workers=2))
        narrow = {**system, "api": f"http://127.0.0.1:{small}/api"}
        streams = [Stream(narrow, agent01) for _ in range(3)]
        harness.wait_for(lambda: all(s.comments for s in streams))
        assert get(narrow, "/presence", agent01).json()["state"] == "away"
        for open_stream in streams:
            open_stream.close()
    finally:
        stream.close()
        routed.close()

