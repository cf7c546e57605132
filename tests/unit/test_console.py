"""The console's message catalogues and static files (issue 11), without a browser."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from contracts.events import (
    ROLE_LADDER,
    ApprovalStep,
    CallbackOutcome,
    Category,
    LeaveType,
    PostKind,
    WorkOrderStatus,
)
from gateway.console import ROOT, asset_response, resolve
from gateway.edge import ApiError
from services.assets.upkeep import REPAIR_STEPS
from services.calls import taxonomy
from services.calls.hotline import Outcome
from services.calls.lifecycle import Action
from services.inbox import alerts

CATALOGUES = {lang: json.loads((ROOT / "i18n" / f"{lang}.json").read_text("utf-8"))
              for lang in ("zh-CN", "en")}
SOURCES = [*ROOT.glob("js/**/*.js"), ROOT / "index.html"]
# a quoted literal shaped like a catalogue key: prefix.rest (not a path, not a file name)
KEY = re.compile(r"""["']([a-z][a-z_]*\.[A-Za-z0-9_.:\-]+)["']""")
NOT_MESSAGES = {"csc.session", "csc.lang",  # browser storage keys
                "work_order.escalated"}  # a notice kind the code compares (its text: notice.*)


def used_keys() -> set[str]:
    found = set()
    for path in SOURCES:
        text = path.read_text("utf-8")
        found |= set(KEY.findall(text))
        found |= set(re.findall(r'data-i18n="([^"]+)"', text))
    files = (".js", ".json", ".css")
    return {key for key in found if key not in NOT_MESSAGES and not key.endswith(files)}


def test_both_catalogues_have_the_same_keys():
    zh, en = (set(CATALOGUES[lang]) for lang in ("zh-CN", "en"))
    assert zh - en == set(), "missing in en.json"
    assert en - zh == set(), "missing in zh-CN.json"


def test_placeholders_agree_between_languages():
    for key, text in CATALOGUES["zh-CN"].items():
        assert set(re.findall(r"\{(\w+)\}", text)) == set(
            re.findall(r"\{(\w+)\}", CATALOGUES["en"][key])), key


def test_every_key_the_code_uses_exists():
    used = used_keys()
    assert len(used) > 150  # the scan sees the code's keys (it would pass vacuously otherwise)
    assert sorted(used - set(CATALOGUES["zh-CN"])) == []


def _clock_names() -> set[str]:
    policies = yaml.safe_load(Path("services/calls/deadline_policies.yaml").read_text("utf-8"))
    found = set()

    def walk(node):
        if isinstance(node, dict):
            if isinstance(node.get("clock"), str):
                found.add(node["clock"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(policies)
    return found


@pytest.mark.parametrize(("prefix", "values"), [
    ("state", [s.value for s in WorkOrderStatus]),
    ("category", [*taxonomy.CATEGORIES, *(c.value for c in Category)]),
    ("sub_type", [s for subs in taxonomy.SUB_TYPES.values() for s in subs]),
    ("area", [a.value for a in taxonomy.Area]),
    ("action", [a.value for a in Action]),
    ("leave_type", [t.value for t in LeaveType]),
    ("post_kind", [k.value for k in PostKind]),
    ("step", [s.value for s in ApprovalStep]),
    ("role", [str(r) for r in ROLE_LADDER]),
    ("clock", sorted(_clock_names())),
    ("call_outcome", [v for k, v in vars(Outcome).items() if k.isupper()]),
    ("callback_outcome", [o.value for o in CallbackOutcome]),
    ("notice", ["screen_pop", "work_order.assigned", "work_order.urged", "work_order.escalated",
                "work_order.overdue", "leave.requested", "leave.decided", "staff.absent",
                "post.uncovered", "rota.handover_missing", "login.locked_out", *alerts.ALERTS]),
    ("repair_status", sorted({*REPAIR_STEPS, *REPAIR_STEPS.values()})),
    ("follow_up_phase", ["due_soon", "overdue"]),
    ("decision", ["approved", "rejected", "returned"]),
])
def test_every_domain_value_has_a_label(prefix, values):
    assert values
    assert [v for v in values if f"{prefix}.{v}" not in CATALOGUES["zh-CN"]] == []


def test_every_action_form_has_a_submit_label():
    assert [a for a in Action if f"action.{a.value}.submit" not in CATALOGUES["en"]] == []


@pytest.mark.parametrize("bad", [
    "", "../console.py", "js/../../service.py", "/etc/passwd", "js/./app.js", "js//app.js",
    "..", "js\\app.js", "js/app.js\x00", "i18n", "missing.js",
])
def test_paths_outside_the_console_or_not_files_are_refused(bad):
    assert resolve(bad) is None


def test_a_symlink_out_of_the_console_is_refused(tmp_path):
    (tmp_path / "inside").mkdir()
    (tmp_path / "secret.txt").write_text("x")
    (tmp_path / "inside" / "link.txt").symlink_to(tmp_path / "secret.txt")
    assert resolve("link.txt", tmp_path / "inside") is None


def test_console_files_resolve():
    assert resolve("js/app.js") == (ROOT / "js" / "app.js").resolve()
    assert resolve("vendor/chart.umd.min.js") is not None


def _get(path: str, **headers):
    from werkzeug.test import EnvironBuilder
    from werkzeug.wrappers import Request

    return Request(EnvironBuilder(path=f"/console/{path}", headers=headers).get_environ())


@pytest.mark.parametrize(("path", "kind", "cache"), [
    ("index.html", "text/html; charset=utf-8", "no-cache"),
    ("js/app.js", "text/javascript; charset=utf-8", "no-cache"),
    ("app.css", "text/css; charset=utf-8", "no-cache"),
    ("i18n/zh-CN.json", "application/json; charset=utf-8", "no-cache"),
    ("vendor/chart.umd.min.js", "text/javascript; charset=utf-8", "public, max-age=86400"),
])
def test_files_are_served_with_their_type_cache_headers_and_etag(path, kind, cache):
    response = asset_response(_get(path), path)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == kind
    assert response.headers["Cache-Control"] == cache
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.get_data() == (ROOT / path).read_bytes()
    again = asset_response(_get(path, **{"If-None-Match": response.headers["ETag"]}), path)
    assert again.status_code == 304 and again.get_data() == b""


def test_a_path_outside_the_console_is_a_404_problem():
    with pytest.raises(ApiError) as refused:
        asset_response(_get("x"), "../service.py")
    assert refused.value.status == 404
