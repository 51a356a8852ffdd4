"""Liveness, readiness and metrics, for load balancers, orchestrators and Prometheus; no key needed."""

from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST

from sfumato.domain.errors import SfumatoError
from sfumato.http.deps import CredentialsDep, FleetDep, MetricsDep, ReadinessDep
from sfumato.http.errors import envelope
from sfumato.http.threads import in_thread

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "not ready: see `checks`"}})
async def readyz(readiness: ReadinessDep, credentials: CredentialsDep, fleet: FleetDep) -> Any:
    """Ready to serve: the database answers and the model (if this process runs one) is loaded. Also
    says whether content credentials are on (`on`, `on (local CA)`) or `off`: the operator's choice; and
    which models queued jobs ask for that no live worker serves (`unserved_models`: they wait for one; the
    service is ready all the same)."""
    checks = await in_thread(readiness.checks)
    extra: dict[str, Any] = {"content_credentials": credentials.state}
    if checks.get("database") == "ok":
        with suppress(SfumatoError):  # the database went away meanwhile: the next probe says so
            extra["unserved_models"] = await in_thread(fleet.unserved)
    if all(state == "ok" for state in checks.values()):
        return {"status": "ok", "checks": checks} | extra
    waiting = ", ".join(f"{name}: {state}" for name, state in checks.items() if state != "ok")
    body = envelope(f"not ready ({waiting})", "server_error", "not_ready") | {"checks": checks}
    return JSONResponse(body | extra, 503)


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format"}},
)
async def metrics(metrics: MetricsDep) -> Response:
    """Queue depth and jobs by status (the whole fleet's, from the database); batch sizes, generation
    and end-to-end latency, images made (this process's worker); webhook deliveries (this process)."""
    return Response(await in_thread(metrics.render), media_type=CONTENT_TYPE_LATEST)
