"""deploy/prometheus: promtool checks the rules and runs their unit tests (one call each), and
every alert carries what an operator needs: a severity, a summary, a description, a runbook
section in deploy/README.md, and unit tests in which it fires.

scripts/ensure_prometheus.sh (run by `make test`) installs promtool; without it these fail."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from services.assets import figures
from svckit.services import SERVICES, prometheus_config

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS = ROOT / "deploy" / "prometheus"
RULES = sorted((PROMETHEUS / "rules").glob("*.yml"))
TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
SEVERITIES = {"critical", "warning", "info"}


def promtool(*args: str) -> subprocess.CompletedProcess:
    if shutil.which("promtool") is None:
        pytest.fail("promtool is not installed: run scripts/ensure_prometheus.sh (make test does)")
    return subprocess.run(["promtool", *args], capture_output=True, text=True, timeout=120)


def alerts() -> list[dict]:
    return [
        rule
        for path in RULES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def test_promtool_checks_the_rules():
    result = promtool("check", "rules", *map(str, RULES))
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_unit_tests_pass():
    result = promtool("test", "rules", *map(str, TESTS))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_a_severity_summary_and_runbook_section():
    headings = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in (ROOT / "deploy" / "README.md").read_text().splitlines()
        if line.startswith("#")
    }
    assert alerts()
    for rule in alerts():
        name = rule["alert"]
        assert rule["labels"]["severity"] in SEVERITIES, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        runbook = rule["annotations"]["runbook_url"]
        assert runbook.startswith("deploy/README.md#"), name
        assert runbook.split("#", 1)[1] in headings, f"{name}: no section {runbook} in the README"


def test_every_alert_fires_in_a_unit_test():
    firing = {
        case["alertname"]
        for path in TESTS
        for group in yaml.safe_load(path.read_text())["tests"]
        for case in group.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert {rule["alert"] for rule in alerts()} <= firing


def test_the_local_configuration_is_valid(tmp_path):
    """What `make run` writes to var/prometheus.yml (every service, the rules)."""
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(prometheus_config()))
    result = promtool("check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    jobs = [job["job_name"] for job in prometheus_config()["scrape_configs"]]
    assert jobs == [service.job for service in SERVICES]


def test_the_cluster_configuration_names_jobs_as_the_alerts_expect():
    config = yaml.safe_load((PROMETHEUS / "kubernetes.yml").read_text())
    (job,) = config["scrape_configs"]
    renames = [rule for rule in job["relabel_configs"] if rule.get("target_label") == "job"]
    assert renames and renames[0]["replacement"] == "csc-$1"
    assert renames[0]["source_labels"] == ["__meta_kubernetes_pod_label_app_kubernetes_io_name"]


def test_the_seal_or_key_alert_reads_the_types_the_assets_service_exports():
    """``csc_assets_alerts_open{type}`` (services/assets/figures.py): the alert selects exactly
    the seal and key types, and its unit tests use types the service has."""
    (rule,) = [rule for rule in alerts() if rule["alert"] == "CscSealOrKeyAlertOpen"]
    pattern = re.search(r'csc_assets_alerts_open\{type=~"([^"]+)"\}', rule["expr"]).group(1)
    paging = {kind for kind in figures.TYPES if re.fullmatch(pattern, kind)}  # PromQL anchors
    assert paging == {kind for kind in figures.TYPES if kind.split(".")[0] in ("seal", "key")}
    tested = {
        match.group(1)
        for path in TESTS
        for match in re.finditer(r'csc_assets_alerts_open\{type="([^"]+)"\}', path.read_text())
    }
    assert tested and tested <= set(figures.TYPES), tested - set(figures.TYPES)
