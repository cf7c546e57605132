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
