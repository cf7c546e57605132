"""Operations against the running system (issue 17), in one start of the services: a real
Prometheus (Debian's, scripts/ensure_prometheus.sh) scrapes them on loopback and evaluates the
platform's rules; the dashboard's queries all name series it holds; the probes answer; the event
queues are quorum queues; one call is followed through every service's log by its uniqueid."""

from __future__ import annotations

import io
import json
import logging
import re
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest
import requests
import yaml
from prometheus_client import REGISTRY

from asterisk_sim import place_call
from bench.e2e import free_port
from scripts import dashboard
from svckit.logs import ContextFilter, JsonFormatter
from svckit.services import SERVICES, prometheus_config
from tests.conftest import _rabbit
from tests.integration import harness
from tests.integration.client import KNOWN_CALLER

ROOT = Path(__file__).resolve().parents[2]
# What an operator needs first: each must be a series Prometheus scraped or recorded.
KEY_SERIES = [
    *(f'up{{job="{service.job}"}} == 1' for service in SERVICES),
    'csc_calls_total{category="fault_report"}',
    'csc_outbox_backlog{service="calls"}', 'csc_outbox_parked{service="staffing"}',
    'csc_dead_letter_messages{consumer="staffing.on_work_order_created"}',
    'csc_work_orders{status="assigned"}', "csc_work_orders_overdue",
    'csc_deadline_clocks_open{warning="none"}', "csc_deadline_clocks_provisional",
    'csc_entrypoint_refusals_total{service="gateway"}', "csc_call_routing_seconds_bucket",
    'category:csc_calls:increase1m{category="fault_report"}',  # a recording rule
    'csc_assets_alerts_open{type="seal.not_returned"}',  # the seal/key alert reads it
    'csc_entrypoint_calls_total{service="inbox"}', 'csc_outbox_backlog{service="visits"}',
    'csc_entrypoint_errors_total{service="gateway"}',  # at 0 from the start, not "no data"
]
# This process runs all five services on one registry, so each scrape is the whole of it (about
# 1 MB after a shard's earlier tests). At 1 s a loaded shard's scrapes timed out, and a failed
# scrape marks its series stale: a key series then vanished between two queries (CI, stop 20).
SCRAPE_INTERVAL = "2s"
# The databases of the services beyond calls and staffing (tests/conftest.py db_urls).
EXTRA_DATABASES = ("inbox", "assets", "visits")
# PromQL words that are not metric names.
_NOT_METRICS = {"sum", "by", "rate", "increase", "histogram_quantile", "le", "without", "on",
                "and", "or", "unless", "ignoring", "group_left", "group_right", "bool", "offset"}


@pytest.fixture
def db_backend():
    """PostgreSQL, as in production; the metrics do not differ between the databases."""
    return "postgresql"


@pytest.fixture
def prometheus(tmp_path):
    """Starts Prometheus on loopback; yields (its URL, function writing its config and
    reloading it)."""
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: run scripts/ensure_prometheus.sh (make test)")
    port, config = free_port(), tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump({"global": {"scrape_interval": "1s"}}))
    process = subprocess.Popen(
        ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'tsdb'}",
         f"--web.listen-address=127.0.0.1:{port}", "--web.enable-lifecycle"],
        stdout=subprocess.DEVNULL, stderr=(tmp_path / "prometheus.log").open("w"),
    )
    url = f"http://127.0.0.1:{port}"

    def configure(targets: dict[str, str]) -> None:
        config.write_text(yaml.safe_dump(prometheus_config(targets, interval=SCRAPE_INTERVAL)))
        harness.wait_for(lambda: _answers(f"{url}/-/ready"), timeout=30)
        assert requests.post(f"{url}/-/reload", timeout=10).status_code == 200

    try:
        yield url, configure
    finally:
        process.terminate()
        process.wait(timeout=20)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.RequestException:
        return False


def instant(url: str, expr: str) -> list[dict]:
    response = requests.get(f"{url}/api/v1/query", params={"query": expr}, timeout=10).json()
    assert response["status"] == "success", (expr, response)
    return response["data"]["result"]


def dashboard_queries() -> list[str]:
    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("expr"), str):
                yield node["expr"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for value in node:
                yield from walk(value)

    return list(walk(json.loads((ROOT / "deploy/grafana/dashboards/csc.json").read_text())))


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (strings, label matchers, ranges and
    grouping clauses taken out first)."""
    bare = re.sub(r'"[^"]*"', "", expr)
    bare = re.sub(r"\{[^}]*\}|\[[^\]]*\]", " ", bare)
    bare = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", " ", bare)
    names = re.findall(r"([A-Za-z_:][A-Za-z0-9_:]*)\s*(\()?", bare)
    return {name for name, call in names if not call and name not in _NOT_METRICS}


@pytest.fixture
def json_log():
    """Every service's log lines as the deployed services write them (JSON, with context)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(ContextFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield stream
    root.removeHandler(handler)
    root.setLevel(level)


def gateway_failures() -> float:
    return sum(sample.value for metric in REGISTRY.collect()
               if metric.name == "csc_entrypoint_errors"
               for sample in metric.samples
               if sample.name == "csc_entrypoint_errors_total"
               and sample.labels.get("service") == "gateway")


def test_operations_against_the_running_system(
    stores, hotline_staff, run_service, amqp_uri, prometheus, json_log
):
    failures_before = gateway_failures()
    harness.add_customer(stores["calls"], *KNOWN_CALLER)
    containers = {service.name: run_service(service.name, EVENT_QUEUE_TYPE="quorum")
                  for service in SERVICES}
    ports = {name: harness.http_port(container) for name, container in containers.items()}
    url, configure = prometheus
    configure({name: f"127.0.0.1:{port}" for name, port in ports.items()})

    # health: every service is live and ready (broker, database, migrations)
    for name, port in ports.items():
        live = requests.get(f"http://127.0.0.1:{port}/health/live", timeout=5)
        ready = requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=10)
        assert live.status_code == 200, (name, live.text)
        assert ready.status_code == 200, (name, ready.text)
        assert all(ready.json()["checks"].values()) and "broker" in ready.json()["checks"]
    assert set(requests.get(f"http://127.0.0.1:{ports['calls']}/health/ready", timeout=10)
               .json()["checks"]) == {"broker", "database", "migrations"}

    # one call, then a refusal at the gateway (a 4xx: counted apart from failures)
    uniqueid = f"1764200000.{uuid.uuid4().int % 10**6}"
    transcript = place_call("127.0.0.1", harness.agi_port(containers["calls"]), digits=["2"],
                            caller_num=KNOWN_CALLER[0], uniqueid=uniqueid)
    assert transcript.variables.get("WORK_ORDER_ID")
    api = f"http://127.0.0.1:{ports['gateway']}/api"
    token = requests.post(f"{api}/auth/token", timeout=10,
                          json={"username": "leader01", "password": harness.PASSWORD}).json()
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    assert requests.get(f"{api}/calls/{uniqueid}", headers=headers, timeout=10).ok
    assert requests.get(f"{api}/work-orders/nope", headers=headers, timeout=10).status_code == 404

    # Prometheus scraped every service, holds the key series, and a recording rule evaluated
    def missing() -> list[str]:
        return [series for series in KEY_SERIES if not instant(url, series)]

    try:
        harness.wait_for(lambda: not missing(), timeout=40, interval=0.5)
    except AssertionError:
        assert missing() == []  # names what never came
    assert instant(url, 'sum(csc_entrypoint_refusals_total{service="gateway"})')[0]["value"][1] \
        != "0"
    # no gateway failure in this flow (the registry is the process's: earlier tests' count too)
    assert gateway_failures() == failures_before

    # the dashboard is what scripts/dashboard.py writes, and its queries read real series
    assert (ROOT / "deploy/grafana/dashboards/csc.json").read_text() == dashboard.render(), \
        "run scripts/dashboard.py"
    names = requests.get(f"{url}/api/v1/label/__name__/values", timeout=10).json()["data"]
    for expr in dashboard_queries():
        assert metric_names(expr) <= set(names), (expr, metric_names(expr) - set(names))
        instant(url, expr.replace("$service", ".+"))  # and it is valid PromQL

    # the event queues are quorum queues; the gateway's broadcast queues stay classic
    vhost = amqp_uri.rsplit("/", 1)[1]
    queues = _rabbit("GET", f"/queues/{vhost}").json()
    for queue in queues:
        if queue["name"].startswith("evt-") and not queue["auto_delete"]:
            assert queue["type"] == "quorum", queue["name"]
    assert any(q["name"].endswith(".dlq") and q["type"] == "quorum" for q in queues)

    # one grep for the uniqueid finds the call in every service it went through; every line
    # written inside a worker carries it as a field (the web server's access line only in text)
    lines = [json.loads(line) for line in json_log.getvalue().splitlines() if uniqueid in line]
    in_workers = [line for line in lines if line["service"]]
    assert {line["service"] for line in in_workers} >= {"calls", "staffing", "gateway"}, lines
    assert all(line.get("uniqueid") == uniqueid for line in in_workers), in_workers
    assert any(line.get("work_order_id") == transcript.variables["WORK_ORDER_ID"]
               for line in in_workers if line["service"] == "staffing")
