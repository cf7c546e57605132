"""Check received event bodies against the published contract, ``contracts/asyncapi.yaml``.

Integration tests call :func:`validate_published` on what a service really put on the broker, so a
producer that drifts from the documented catalogue fails there, not at an outside subscriber.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = Path(__file__).with_name("asyncapi.yaml")
_URI = "urn:csc:asyncapi"  # the document's name for the $ref resolver


class ContractViolation(ValueError):
    """A body that is not what ``contracts/asyncapi.yaml`` documents for its event."""


def document_key(text: str) -> str:
    """An AsyncAPI component/channel/operation key for ``text`` (``[A-Za-z0-9_-]`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def message_id(event_type: str, version: int) -> str:
    """The key of the message documenting ``event_type`` version ``version``."""
    return document_key(f"{event_type}_v{version}")


@lru_cache(maxsize=1)
def load_document(path: Path = DOCUMENT) -> dict[str, Any]:
    with path.open(encoding="utf-8") as stream:
        return yaml.safe_load(stream)


def schema_validator(pointer: str, document: dict[str, Any] | None = None) -> Draft202012Validator:
    """A validator for the schema at JSON pointer ``pointer`` (``/components/...``) in the
    document; its ``$ref`` s resolve against the whole document."""
    document = load_document() if document is None else document
    registry = Registry().with_resource(_URI, Resource.from_contents(document, DRAFT202012))
    return Draft202012Validator(
        {"$ref": f"{_URI}#{pointer}"},
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def validate_published(body: dict[str, Any], document: dict[str, Any] | None = None) -> None:
    """Raise :class:`ContractViolation` unless ``body`` (a received envelope, decoded JSON) is a
    documented message: known type and version, envelope and payload as documented."""
    document = load_document() if document is None else document
    if not isinstance(body, dict):
        raise ContractViolation(f"an event body is a JSON object, not {type(body).__name__}")
    event_type, version = body.get("type"), body.get("version")
    if not isinstance(event_type, str) or not isinstance(version, int):
        raise ContractViolation(f"not an event envelope (type={event_type!r}, version={version!r})")
    key = message_id(event_type, version)
    if key not in document.get("components", {}).get("messages", {}):
        raise ContractViolation(f"{event_type} v{version} is not documented in {DOCUMENT.name}")
    validator = schema_validator(f"/components/messages/{key}/payload", document)
    errors = sorted(validator.iter_errors(body), key=lambda error: error.json_path)
    if errors:
        lines = [f"  at {error.json_path}: {error.message}" for error in errors]
        raise ContractViolation(
            f"{event_type} v{version} does not match {DOCUMENT.name}:\n" + "\n".join(lines)
        )
