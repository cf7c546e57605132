"""The OpenAPI 3.1 description, generated from the routes nameko records on the service class
(``nameko_entrypoints``) and the models they declare (gateway/models.py), and a documentation
page that renders it without any network access (no CDN)."""

from __future__ import annotations

import html
import inspect
import re
from functools import cache
from typing import Any

from pydantic import BaseModel, TypeAdapter

from gateway.edge import PROBLEM, ApiRoute
from gateway.models import PATH_TYPES
from gateway.replies import Problem

CONVERTER = re.compile(r"<(?:(?P<kind>[a-z]+):)?(?P<name>[a-z_]+)>")
REF = "#/components/schemas/"

def routes(service_cls: type) -> list[tuple[str, ApiRoute]]:
    """(handler name, route) for every http entrypoint nameko records on the class."""
    found = []
    for name, method in inspect.getmembers(service_cls, inspect.isfunction):
        for entrypoint in getattr(method, "nameko_entrypoints", ()):
            if isinstance(entrypoint, ApiRoute):
                found.append((name, entrypoint))
    return sorted(found, key=lambda pair: pair[1].url)


def openapi_path(url: str) -> str:
    """A werkzeug rule (``/a/<int:id>``) as an OpenAPI path (``/a/{id}``)."""
    return CONVERTER.sub(lambda match: "{" + match["name"] + "}", url)


def operations(service_cls: type) -> set[tuple[str, str]]:
    """(METHOD, OpenAPI path) of every route: what the description must name, no more."""
    return {
        (method.upper(), openapi_path(entry.url))
        for _, entry in routes(service_cls)
        for method in entry.method.split(",")
    }


def _schema(kind: Any, defs: dict) -> dict:
    schema = TypeAdapter(kind).json_schema(ref_template=REF + "{model}")
    defs.update(schema.pop("$defs", {}))
    return schema


def _model_ref(model: type[BaseModel], defs: dict) -> dict:
    schema = model.model_json_schema(ref_template=REF + "{model}")
    defs.update(schema.pop("$defs", {}))
    defs[model.__name__] = schema
    return {"$ref": REF + model.__name__}


def _query_parameters(model: type[BaseModel], defs: dict) -> list[dict]:
    schema = model.model_json_schema(ref_template=REF + "{model}", by_alias=True)
    defs.update(schema.pop("$defs", {}))
    required = set(schema.get("required", ()))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema.get("properties", {}).items()
    ]


def _operation(name: str, entry: ApiRoute, handler: Any, defs: dict) -> dict:
    doc = inspect.getdoc(handler) or ""
    parameters = [
        {"name": match["name"], "in": "path", "required": True,
         "schema": _schema(PATH_TYPES[match["name"]], defs) if match["name"] in PATH_TYPES
         else {"type": "integer" if match["kind"] == "int" else "string"}}
        for match in CONVERTER.finditer(entry.url)
    ]
    if entry.query_model is not None:
        parameters += _query_parameters(entry.query_model, defs)
    content = {kind: {"schema": {"type": "string"}} for kind in entry.produces}
    if "application/json" in content:
        reply = _model_ref(entry.reply, defs) if entry.reply else {"type": "object"}
        content["application/json"] = {"schema": reply}
    success: dict[str, Any] = {"description": "OK", "content": content}
    if entry.links:
        success["links"] = {
            target: {"operationId": target, "parameters": parameters_}
            for target, parameters_ in entry.links.items()
        }
    operation: dict[str, Any] = {
        "operationId": name,
        "summary": entry.summary or _first_sentence(doc) or name.replace("_", " "),
        "parameters": parameters,
        "responses": {
            "200": success,
            "default": {
                "description": "A problem (RFC 9457)",
                "content": {PROBLEM: {"schema": {"$ref": REF + "Problem"}}},
            },
        },
    }
    if doc:
        operation["description"] = doc
    if entry.auth:
        operation["security"] = [{"bearer": []}]
    else:
        operation["security"] = []
    body_model = entry.body_model or entry.described_body
    if body_model is not None:
        ref = _model_ref(body_model, defs)
        operation["requestBody"] = {
            "required": True,
            "content": {kind: {"schema": ref} for kind in entry.consumes},
        }
    return operation


def _first_sentence(doc: str) -> str:
    """A docstring's first sentence (its first paragraph up to ". "), on one line."""
    paragraph = " ".join(doc.split("\n\n")[0].split())
    return re.split(r"(?<=\.)\s", paragraph, maxsplit=1)[0]


@cache
def openapi_document(service_cls: type) -> dict:
    """The OpenAPI 3.1 description of the service's routes."""
    defs: dict[str, Any] = {}
    _model_ref(Problem, defs)
    paths: dict[str, dict] = {}
    for name, entry in routes(service_cls):
        handler = getattr(service_cls, name)
        path = paths.setdefault(openapi_path(entry.url), {})
        for method in entry.method.split(","):
            operation = _operation(name, entry, handler, defs)
            if len(entry.method.split(",")) > 1:
                operation["operationId"] = f"{name}_{method.lower()}"
            path[method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Customer service centre API",
            "version": "1.0",
            "description": (
                "The 95598 hotline and service hall. Errors are RFC 9457 problem details "
                "(application/problem+json) with a stable `code`; lists are paginated with "
                "`cursor`/`limit` and a `next` link; request bodies are at most 1 MB by "
                "default and must arrive within the body timeout."
            ),
        },
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {
            "schemas": defs,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        },
    }


DOCS_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>%(title)s</title>
<style>
body{font:15px/1.45 system-ui,sans-serif;margin:2em auto;max-width:60em;padding:0 1em}
h2{margin-top:2em;border-bottom:1px solid #ccc} .op{margin:1em 0;padding:.5em 1em;
background:#f7f7f7;border-radius:4px} .m{font-weight:bold;display:inline-block;width:5em}
code,pre{font:13px ui-monospace,monospace} pre{white-space:pre-wrap;background:#eee;padding:.5em}
</style></head><body>
<h1>%(title)s</h1>
<p>%(description)s</p>
<p>The machine-readable description: <a href="/api/openapi.json">/api/openapi.json</a>.</p>
<div id="ops">%(operations)s</div>
<h2 id="problems">Problems</h2>
<p>Every error is <code>application/problem+json</code>: <code>type</code>, <code>title</code>,
<code>status</code>, <code>detail</code> and a stable <code>code</code>.</p>
</body></html>
"""


def docs_page() -> str:
    """A self-contained HTML page listing every operation with its parameters and body."""
    from gateway.service import GatewayService

    document = openapi_document(GatewayService)
    parts = []
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            params = ", ".join(
                f"{p['name']} ({p['in']}{', required' if p['required'] else ''})"
                for p in op["parameters"]
            )
            body = op.get("requestBody", {}).get("content", {})
            ref = next(iter(body.values()), {}).get("schema", {}).get("$ref", "")
            schema = document["components"]["schemas"].get(ref.removeprefix(REF))
            op_id, verb = html.escape(op["operationId"]), method.upper()
            open_ = "" if op["security"] else " <em>(no token needed)</em>"
            param_line = f"<br>Parameters: {html.escape(params)}" if params else ""
            body_line = f"<pre>{html.escape(_brief(schema))}</pre>" if schema else ""
            answer = op["responses"]["200"]["content"].get("application/json", {})
            answer_ref = answer.get("schema", {}).get("$ref", "").removeprefix(REF)
            answer_line = f"<br>Answers: <code>{html.escape(answer_ref)}</code>" \
                if answer_ref else ""
            parts.append(
                f'<div class="op" id="{op_id}"><span class="m">{verb}</span>'
                f"<code>{html.escape(path)}</code> {html.escape(op['summary'])}"
                f"{open_}{param_line}{answer_line}{body_line}</div>"
            )
    info = document["info"]
    return DOCS_PAGE % {
        "title": html.escape(info["title"]), "description": html.escape(info["description"]),
        "operations": "\n".join(parts),
    }


def _brief(schema: dict) -> str:
    required = set(schema.get("required", ()))
    return "\n".join(
        f"{name}{'' if name in required else '?'}: "
        f"{prop.get('type') or prop.get('anyOf') or prop.get('$ref') or prop}"
        for name, prop in schema.get("properties", {}).items()
    )
