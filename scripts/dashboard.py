"""Writes the platform's Grafana dashboard, deploy/grafana/dashboards/csc.json (issue 17), with
Grafana's own SDK (grafana-foundation-sdk). Run after changing a panel:

    .venv/bin/python scripts/dashboard.py

tests/integration/test_prometheus.py checks that the JSON is what this script writes and that
every query's metric is a series a real Prometheus scraped from the running services.
"""

from __future__ import annotations

import itertools
import json
import string
import sys
from pathlib import Path

from grafana_foundation_sdk.builders import dashboard, prometheus, stat, timeseries
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models.dashboard import DataSourceRef, VariableRefresh

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "deploy" / "grafana" / "dashboards" / "csc.json"
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
RED = '{service=~"$service", kind!="timer"}'
_ids = itertools.count(1)


def query(expr: str, legend: str = "") -> prometheus.Dataquery:
    return prometheus.Dataquery().expr(expr).legend_format(legend or "__auto")


def graph(title: str, unit: str, *queries: prometheus.Dataquery, width: int = 8):
    panel = (timeseries.Panel().id(next(_ids)).title(title).unit(unit).datasource(DATASOURCE)
             .height(8).span(width))
    for ref, target in zip(string.ascii_uppercase, queries, strict=False):
        panel = panel.with_target(target.ref_id(ref))
    return panel


def figure(title: str, expr: str, unit: str = "short", width: int = 4):
    return (stat.Panel().id(next(_ids)).title(title).unit(unit).datasource(DATASOURCE).height(4)
            .span(width).with_target(query(expr).ref_id("A")))


def call_path(board: dashboard.Dashboard) -> dashboard.Dashboard:
    return (
        board.with_row(dashboard.Row("Call path").id(next(_ids)))
        .with_panel(graph("Calls per minute, by menu choice", "short",
                          query("category:csc_calls:increase1m", "{{category}}")))
        .with_panel(graph("Work orders opened per minute, by category", "short",
                          query("category:csc_work_orders_created:increase1m", "{{category}}")))
        .with_panel(graph("Routing fallbacks (share of routed calls)", "percentunit",
                          query("csc:routing_fallbacks:ratio_rate5m", "fallback share")))
        .with_panel(graph("Call path latency after the menu (objective p99 250 ms)", "s",
                          query("csc:call_routing_seconds:p99_5m", "p99"),
                          query("histogram_quantile(0.5, sum by (le) "
                                "(rate(csc_call_routing_seconds_bucket[5m])))", "p50")))
        .with_panel(graph("AGI sessions", "short",
                          query("csc_agi_sessions_in_progress", "in progress"),
                          query("sum by (outcome) (rate(csc_agi_sessions_total[5m])) * 60",
                                "{{outcome}} /min")))
        .with_panel(graph("AGI protocol errors per minute", "short",
                          query("sum by (kind) (rate(csc_agi_protocol_errors_total[5m])) * 60",
                                "{{kind}}")))
    )


def work_orders(board: dashboard.Dashboard) -> dashboard.Dashboard:
    return (
        board.with_row(dashboard.Row("Work orders").id(next(_ids)))
        .with_panel(figure("Overdue", "csc_work_orders_overdue"))
        .with_panel(figure("Escalated, not closed", "csc_work_orders_escalated"))
        .with_panel(figure("Provisional clocks", "csc_deadline_clocks_provisional"))
        .with_panel(figure("Routing fallbacks, last hour",
                           "sum(increase(csc_routing_fallbacks_total[1h]))"))
        .with_panel(figure("Parked outbox events", "sum(csc_outbox_parked)"))
        .with_panel(figure("Dead letters", "sum(csc_dead_letter_messages)"))
        .with_panel(graph("Work orders by state", "short",
                          query("csc_work_orders", "{{status}}")))
        .with_panel(graph("Open deadline clocks by warning reached", "short",
                          query("csc_deadline_clocks_open", "{{warning}}%")))
        .with_panel(graph("Escalations per hour, by level", "short",
                          query("sum by (level) (increase(csc_escalations_total[1h]))",
                                "{{level}}")))
    )


def phones(board: dashboard.Dashboard) -> dashboard.Dashboard:
    """Issue 16: what Asterisk's manager interface tells staffing."""
    return (
        board.with_row(dashboard.Row("Agents and queues (AMI)").id(next(_ids)))
        .with_panel(graph("Agents by state", "short", query("csc_agents", "{{state}}")))
        .with_panel(graph("Service level (answered within 20 s), 30 min", "percentunit",
                          query("queue:csc_calls_service_level:ratio_rate30m", "{{queue}}")))
        .with_panel(graph("Abandoned and rung out per minute", "short",
                          query("sum by (queue) (increase(csc_calls_abandoned_total[1m]))",
                                "abandoned {{queue}}"),
                          query("sum by (queue) (increase(csc_ring_no_answer_total[1m]))",
                                "rang out {{queue}}")))
    )


def hall(board: dashboard.Dashboard) -> dashboard.Dashboard:
    return (
        board.with_row(dashboard.Row("Service hall").id(next(_ids)))
        .with_panel(graph("Assets alerts open, by type (seals and keys page after 30 min)",
                          "short", query("csc_assets_alerts_open", "{{type}}"), width=12))
    )


def bus(board: dashboard.Dashboard) -> dashboard.Dashboard:
    return (
        board.with_row(dashboard.Row("Event bus").id(next(_ids)))
        .with_panel(graph("Outbox: waiting and parked", "short",
                          query("csc_outbox_backlog", "{{service}} waiting"),
                          query("csc_outbox_parked", "{{service}} parked")))
        .with_panel(graph("Events published and retried per minute", "short",
                          query("sum by (service) (rate(csc_outbox_published_total[5m])) * 60",
                                "{{service}} published"),
                          query("sum by (consumer) (rate(csc_events_retried_total[5m])) * 60",
                                "{{consumer}} retried")))
        .with_panel(graph("Dead-letter queues", "short",
                          query("csc_dead_letter_messages", "{{consumer}}"),
                          query("sum by (consumer) "
                                "(increase(csc_messages_dead_lettered_total[1h]))",
                                "{{consumer}} parked /h")))
    )


def services(board: dashboard.Dashboard) -> dashboard.Dashboard:
    """Rate, errors (failures and refusals apart), duration: one row per service ($service)."""
    return (
        board.with_row(dashboard.Row("Service $service").id(next(_ids)).repeat("service"))
        .with_panel(graph("Requests per second", "reqps",
                          query(f"sum by (kind) (rate(csc_entrypoint_calls_total{RED}[5m]))",
                                "{{kind}}")))
        .with_panel(graph("Failures (5xx) and refusals (4xx) per second", "reqps",
                          query(f"sum(rate(csc_entrypoint_errors_total{RED}[5m]))", "failed"),
                          query(f"sum(rate(csc_entrypoint_refusals_total{RED}[5m]))",
                                "refused")))
        .with_panel(graph("Duration p99 by entrypoint kind", "s",
                          query("histogram_quantile(0.99, sum by (kind, le) "
                                f"(rate(csc_entrypoint_duration_seconds_bucket{RED}[5m])))",
                                "{{kind}}")))
    )


def build() -> dict:
    global _ids
    _ids = itertools.count(1)
    board = (
        dashboard.Dashboard("95598 platform")
        .uid("csc-platform")
        .tags(["csc"])
        .refresh("30s")
        .time("now-6h", "now")
        .with_variable(dashboard.DatasourceVariable("datasource").label("Prometheus")
                       .type("prometheus"))
        .with_variable(dashboard.QueryVariable("service").label("Service")
                       .datasource(DATASOURCE)
                       .query("label_values(csc_entrypoint_calls_total, service)")
                       .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
                       .multi(True).include_all(True))
        .with_panel(graph("Services up", "short", query('up{job=~"csc-.+"}', "{{job}}"),
                          width=24))
    )
    for section in (call_path, work_orders, phones, hall, bus, services):
        board = section(board)
    return json.loads(JSONEncoder(sort_keys=True, indent=2).encode(board.build()))


def render() -> str:
    return json.dumps(build(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    OUT.write_text(render())
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)
