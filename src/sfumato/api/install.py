"""Puts the API on an app: its routes (native, then each dialect) and its OpenAPI document."""

from functools import partial

from fastapi import FastAPI

from sfumato.api.dialects import a1111, job_style, openai, sync_style
from sfumato.api.openapi import build_openapi
from sfumato.api.routes import (
    account,
    catalog,
    credentials,
    events,
    generation,
    health,
    images,
    loras,
    public,
    webhooks,
)

# A new dialect is one package under dialects/ with a `router`, and one line here (docs/extending.md).
ROUTERS = (
    health.router,
    generation.router,
    events.router,
    openai.router,
    images.router,
    loras.router,
    catalog.router,
    public.router,
    job_style.router,
    sync_style.router,
    a1111.router,
    webhooks.router,
    account.router,
    credentials.router,
)


def install(app: FastAPI) -> None:
    for router in ROUTERS:
        app.include_router(router)
    app.openapi = partial(build_openapi, app)  # type: ignore[method-assign]
