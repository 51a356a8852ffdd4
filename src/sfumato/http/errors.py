"""The one error envelope (docs/api.md §4), built here and nowhere else, for every failure on every route
of both edges (the API and the dashboard).

HTTP lives here: each domain error's status, its headers (Retry-After, RateLimit-*, WWW-Authenticate), and
the request part a domain error names (an idempotency key is a header)."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError
from starlette.exceptions import HTTPException
from starlette.routing import Match

from sfumato.domain import errors as domain
from sfumato.domain.plans import Window
from sfumato.domain.rules import plain_message

log = logging.getLogger(__name__)

# Each domain error's status and envelope type; a subclass takes its nearest listed ancestor's.
STATUS: dict[type[domain.SfumatoError], tuple[int, str]] = {
    domain.InvalidParameter: (400, "invalid_request_error"),
    domain.PayloadTooLarge: (413, "invalid_request_error"),
    domain.AuthenticationFailed: (401, "authentication_error"),
    domain.PermissionDenied: (403, "permission_error"),
    domain.NotFound: (404, "not_found_error"),
    domain.Conflict: (409, "conflict_error"),
    domain.RateLimited: (429, "rate_limit_error"),
    domain.GenerationFailed: (500, "server_error"),
    domain.StorageFull: (507, "server_error"),
    domain.Overloaded: (503, "server_error"),
    domain.ModelUnavailable: (503, "server_error"),
}

# Starlette's own HTTP errors: bodies it cannot read (a multipart body without its boundary, past its files or
# fields; its detail is the message), unknown routes, wrong methods, bodies over the limit.
_HTTP: dict[int, tuple[str, str, str]] = {
    400: ("invalid_request_error", "parameter_invalid", ""),
    404: ("not_found_error", "not_found", "no route {method} {path}"),
    405: ("invalid_request_error", "method_not_allowed", "{method} is not allowed on {path}"),
    413: ("invalid_request_error", "payload_too_large", "the request body is too large"),
}


# Errors about a part of the request other than a body field: the envelope's `param` names it.
PARAM: dict[type[domain.SfumatoError], str] = {domain.IdempotencyKeyReused: "Idempotency-Key"}


def rate_limit_headers(window: Window) -> dict[str, str]:
    """A rate limit's window as the RateLimit-* headers every generation answer carries."""
    return {
        "RateLimit-Limit": str(window.limit),
        "RateLimit-Remaining": str(max(0, window.remaining)),
        "RateLimit-Reset": str(window.reset_seconds),
    }


def envelope(message: str, type_: str, code: str, param: str | None = None) -> dict[str, Any]:
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def status_of(error: domain.SfumatoError) -> tuple[int, str]:
    for cls in type(error).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500, "server_error"


def error_response(error: domain.SfumatoError) -> JSONResponse:
    status, type_ = status_of(error)
    headers = {}
    if isinstance(error, domain.RateLimited | domain.Overloaded):
        headers["Retry-After"] = str(error.retry_after)
    if isinstance(error, domain.RateLimited) and error.window is not None:
        headers |= rate_limit_headers(error.window)
    if isinstance(error, domain.AuthenticationFailed):
        headers["WWW-Authenticate"] = "Bearer"
    param = error.param or PARAM.get(type(error))
    return JSONResponse(envelope(error.message, type_, error.code, param), status, headers=headers)


def validation_error(errors: list[dict[str, Any]]) -> domain.InvalidParameter:
    """FastAPI's first validation error, as a message a person can act on and the field it names."""
    first: dict[str, Any] = (
        errors[0] if errors else {"type": "value_error", "loc": (), "msg": "invalid request"}
    )
    kind, loc, ctx = first.get("type", ""), tuple(first.get("loc", ())), first.get("ctx") or {}
    where = loc[0] if loc else "body"
    param = ".".join(str(part) for part in loc[1:]) or None
    if kind == "json_invalid":
        return domain.InvalidJson(f"the request body is not valid JSON: {ctx.get('error', 'malformed')}")
    if param is None and where == "body":
        if kind == "missing":
            return domain.MissingParameter("the request needs a JSON object body")
        if isinstance(first.get("input"), bytes):  # FastAPI did not parse it: not sent as JSON
            return domain.InvalidParameter(
                "the request body must be JSON, sent with `Content-Type: application/json`"
            )
        return domain.InvalidParameter("the request body must be a JSON object")
    name = param or where
    if kind == "missing":
        return domain.MissingParameter(f"{name} is required", param=param)
    if kind == "extra_forbidden":
        return domain.InvalidParameter(f"unknown field {name!r}", param=param, code="parameter_unknown")
    return domain.InvalidParameter(_message(kind, name, first.get("msg", ""), ctx), param=param)


_TYPE_NAMES = {
    "int": "an integer",
    "string": "a string",
    "float": "a number",
    "bool": "true or false",
    "dict": "an object",
    "model_attributes": "an object",
    "list": "a list",
}


def _message(kind: str, name: str, msg: str, ctx: dict[str, Any]) -> str:
    if kind == "value_error":
        return plain_message(msg)
    if kind in ("literal_error", "enum"):
        return f"{name} must be one of {ctx.get('expected', '')}".rstrip()
    for prefix, words in _TYPE_NAMES.items():
        if kind.startswith(prefix + "_") or kind == prefix:
            return f"{name} must be {words}"
    return f"{name}: {msg[:1].lower()}{msg[1:]}"


def allowed_methods(request: Request) -> list[str]:
    """Every method some route answers at the request's path (routers included by FastAPI wrap theirs)."""
    scope = {**request.scope, "method": "GET"}
    methods: set[str] = set()

    def walk(routes: list[Any]) -> None:
        for route in routes:
            if (included := getattr(route, "original_router", None)) is not None:
                walk(included.routes)
            elif getattr(route, "methods", None) and route.matches(scope)[0] is not Match.NONE:
                methods.update(route.methods)

    walk(request.app.router.routes)
    return sorted(methods)


PAGE = "sfumato.page"  # in a request's scope when the dashboard answers it: its errors are pages

PageErrors = Callable[[Request, Exception], Awaitable[Response]]


def install(app: FastAPI, *, page_errors: PageErrors | None = None) -> None:
    """Every error as the envelope; on the dashboard's pages (marked with PAGE), as `page_errors` shows it."""

    async def _as_page(request: Request, error: Exception) -> Response | None:
        if page_errors is not None and request.scope.get(PAGE):
            return await page_errors(request, error)
        return None

    @app.exception_handler(domain.SfumatoError)
    async def _domain(request: Request, error: domain.SfumatoError) -> Response:
        return await _as_page(request, error) or error_response(error)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, error: RequestValidationError) -> JSONResponse:
        return error_response(validation_error(list(error.errors())))

    @app.exception_handler(ValidationError)
    async def _model(_request: Request, error: ValidationError) -> JSONResponse:
        # A dialect's body, valid in its own terms, translated into a GenerationRequest that is not.
        errors = [{**item, "loc": ("body", *item["loc"])} for item in error.errors()]
        return error_response(validation_error(errors))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, error: HTTPException) -> JSONResponse:
        default = ("invalid_request_error" if error.status_code < 500 else "server_error", "http_error", "")
        type_, code, template = _HTTP.get(error.status_code, default)
        message = template.format(method=request.method, path=request.url.path) or str(error.detail)
        headers = dict(error.headers or {})
        if error.status_code == 405:  # every method the path answers, not only the first route's
            headers["Allow"] = ", ".join(allowed_methods(request))
        return JSONResponse(envelope(message, type_, code), error.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        if page := await _as_page(request, error):
            return page
        return JSONResponse(envelope("internal server error", "server_error", "internal_error"), 500)
