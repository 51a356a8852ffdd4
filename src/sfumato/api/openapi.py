"""The OpenAPI document at /openapi.json, telling the truth about errors: 400 with the envelope, never 422."""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from sfumato.api.schemas import ErrorEnvelope

_ERRORS = {
    "400": "invalid request: `error.param` names the field",
    "401": "missing or invalid API key",
    "404": "no such object, or another key's",
}


def build_openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    definition = ErrorEnvelope.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(definition.pop("$defs", {}))
    components["ErrorEnvelope"] = definition
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorEnvelope"}}}
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            keyed = path.startswith("/v1/")
            for status, description in _ERRORS.items():
                if status != "401" or keyed:
                    responses.setdefault(status, {"description": description, "content": reference})
    app.openapi_schema = schema
    return schema
