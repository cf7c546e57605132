"""The README's table of routes is the one scripts/api_table.py writes from the description."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _script():
    spec = importlib.util.spec_from_file_location("api_table", ROOT / "scripts" / "api_table.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_readme_route_table_is_up_to_date():
    script = _script()
    readme = script.README.read_text(encoding="utf-8")
    assert script.rewritten(readme) == readme, "run: python scripts/api_table.py"


def test_the_table_names_every_operation_once():
    script = _script()
    rows = [line for line in script.table().splitlines()[2:]]
    assert len(rows) == len(set(rows)) > 40
    assert any(row.startswith("| GET | `/api/board` | yes |") for row in rows)
