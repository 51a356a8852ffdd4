"""Liveness and readiness, for load balancers and orchestrators; no key needed."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from sfumato.api.deps import ServicesDep, in_thread
from sfumato.api.errors import envelope

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "not ready: see `checks`"}})
async def readyz(services: ServicesDep) -> Any:
    """Ready to serve: the database answers and the model (if this process runs one) is loaded."""
    checks = await in_thread(services.readiness)
    if all(state == "ok" for state in checks.values()):
        return {"status": "ok", "checks": checks}
    waiting = ", ".join(f"{name}: {state}" for name, state in checks.items() if state != "ok")
    body = envelope(f"not ready ({waiting})", "server_error", "not_ready") | {"checks": checks}
    return JSONResponse(body, 503)
