"""Service configuration: a YAML file with ``${ENV_VAR:default}`` overrides, as nameko reads it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from nameko.cli.main import setup_yaml_parser

_parser_ready = False


def load_config(path: str | Path) -> dict[str, Any]:
    """Read a service's YAML config the way `nameko run --config` does (env vars substituted)."""
    global _parser_ready
    if not _parser_ready:
        setup_yaml_parser()
        _parser_ready = True
    with open(path, encoding="utf-8") as handle:
        return yaml.safe_load(handle) or {}
