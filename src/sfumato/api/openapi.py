"""The OpenAPI document at /openapi.json, telling the truth about errors: 400 with the envelope, never 422."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sfumato.api.schemas import ErrorEnvelope

# Each error status, what it means, and which operations may answer it (docs/api.md §4).
_ERRORS: dict[str, tuple[str, str]] = {
    "400": ("invalid request: `error.param` names the field (or the Host, if not allowed)", "all"),
    "401": ("missing or invalid API key", "keyed"),
    "403": ("the key may not: an admin route, its plan, the content policy", "keyed"),
    "404": ("no such object, or another key's", "keyed"),
    "409": ("the job is canceled, or the Idempotency-Key came with another request", "conflicting"),
    "413": ("the request body is too large", "body"),
    "429": (
        "a rate limit or the month's quota is spent, or the key's queue is full: see `Retry-After` and "
        "`RateLimit-*`",
        "keyed",
    ),
    "500": ("internal error or a failed generation; no detail of the server's", "all"),
    "503": (
        "not ready, overloaded, or the database or image store cannot be used now (`Retry-After`)",
        "all",
    ),
    "507": ("the image store is full", "body"),
}


KEY_FREE = ("/healthz", "/readyz", "/metrics", "/p/", "/i/")  # every other operation reads a key

# How a key may be sent (docs/api.md §3); AUTOMATIC1111's routes also take it as HTTP Basic's password.
SCHEMES: dict[str, dict[str, str]] = {
    "APIKeyHeader": {"type": "apiKey", "in": "header", "name": "x-api-key"},
    "HTTPBearer": {"type": "http", "scheme": "bearer"},
    "HTTPBasic": {"type": "http", "scheme": "basic", "description": "the key as the password"},
}


def _security(path: str) -> list[dict[str, list[str]]]:
    names = ["APIKeyHeader", "HTTPBearer", *(["HTTPBasic"] if path.startswith("/sdapi/") else [])]
    return [{name: []} for name in names]


def _applies(to: str, path: str, method: str, operation: dict[str, Any]) -> bool:
    keyed = not path.startswith(KEY_FREE)
    if to == "keyed":
        return keyed
    if to == "body":
        return method in ("post", "put", "patch")
    if to == "conflicting":
        headers = {
            p.get("name", "").lower() for p in operation.get("parameters", []) if p.get("in") == "header"
        }
        return "idempotency-key" in headers or path.endswith("/cancel")
    return True


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    schema.setdefault("components", {})["securitySchemes"] = SCHEMES
    components = schema["components"].setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    definition = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(definition.pop("$defs", {}))
    components["ErrorEnvelope"] = definition
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            # A route shared by two paths (the Azure form of a dialect) takes its path's names unread.
            declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "path"}
            for name in re.findall(r"{(\w+)}", path):
                if name not in declared:
                    parameter = {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    operation.setdefault("parameters", []).append(parameter)
            if not path.startswith(KEY_FREE) and path.startswith(("/v1/", "/api/", "/sdapi/", "/openai/")):
                operation["security"] = _security(path)
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            for status, (description, to) in _ERRORS.items():
                if _applies(to, path, method, operation):
                    responses.setdefault(status, {"description": description, "content": reference})
    app.openapi_schema = schema
    return schema
