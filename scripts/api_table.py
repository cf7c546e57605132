"""Write the README's table of API routes from the OpenAPI description (gateway/openapi.py).

    python scripts/api_table.py           # rewrite the table between the markers in README.md
    python scripts/api_table.py --check   # exit 1 with a diff when the README's table is stale

One row an operation: method, path, who may call it (a bearer token or none), the summary, and
the success answer's schema (gateway/replies.py). tests/unit/test_api_table.py runs the check.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.openapi import REF, openapi_document  # noqa: E402
from gateway.service import GatewayService  # noqa: E402

README = ROOT / "README.md"
BEGIN = "<!-- api-table:begin (scripts/api_table.py writes this; do not edit by hand) -->"
END = "<!-- api-table:end -->"


def _answer(operation: dict) -> str:
    content = operation["responses"]["200"]["content"]
    json_schema = content.get("application/json", {}).get("schema", {})
    kinds = [f"`{json_schema['$ref'].removeprefix(REF)}`"] if "$ref" in json_schema else []
    kinds += [kind for kind in content if kind != "application/json"]
    return ", ".join(kinds)


def table() -> str:
    """The markdown table of every operation, by path then method."""
    document = openapi_document(GatewayService)
    rows = ["| method | path | token | what it does | answer |", "|---|---|---|---|---|"]
    for path, operations in sorted(document["paths"].items()):
        for method, operation in sorted(operations.items()):
            summary = operation["summary"].replace("|", "\\|").replace("\n", " ")
            token = "yes" if operation["security"] else "no"
            rows.append(f"| {method.upper()} | `{path}` | {token} | {summary} | "
                        f"{_answer(operation)} |")
    return "\n".join(rows)


def rewritten(readme: str) -> str:
    """The README with the table between the markers replaced."""
    start, end = readme.index(BEGIN) + len(BEGIN), readme.index(END)
    return f"{readme[:start]}\n{table()}\n{readme[end:]}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail when README.md is stale")
    current = README.read_text(encoding="utf-8")
    wanted = rewritten(current)
    if parser.parse_args().check:
        if wanted != current:
            sys.stdout.writelines(difflib.unified_diff(
                current.splitlines(True), wanted.splitlines(True), "README.md", "generated"))
            return 1
        return 0
    README.write_text(wanted, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
