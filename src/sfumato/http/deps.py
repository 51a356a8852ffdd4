"""What a route may ask for, one typed dependency each (as vLLM's routers fetch one handler): the service it
uses, never the whole process. Each reads the process's composition root, which the app's lifespan puts on
`app.state.root` (sfumato/roots/api.py)."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request

from sfumato.config import Settings
from sfumato.domain.clock import Clock
from sfumato.domain.plans import PlanBook
from sfumato.http.session import Sessions
from sfumato.services.access import AccessService
from sfumato.services.client_options import ClientOptions
from sfumato.services.credentials import ContentCredentials
from sfumato.services.deliveries import DeliveryLog
from sfumato.services.fleet import Fleet
from sfumato.services.generation import GenerationService
from sfumato.services.images import ImageService
from sfumato.services.keys import KeyService
from sfumato.services.loras import LoraService
from sfumato.services.metrics import Metrics
from sfumato.services.readiness import Readiness
from sfumato.services.status import ServiceStatus
from sfumato.services.tokens import TokenCounter
from sfumato.services.usage import UsageService
from sfumato.services.watches import JobWatches


def part(name: str) -> Callable[[Request], Awaitable[Any]]:
    """A dependency answering the root's part `name`. Async on purpose: FastAPI runs a plain `def`
    dependency in the thread pool, and a thread hop per trivial dependency costs more than the request."""

    async def dependency(request: Request) -> Any:
        return getattr(request.app.state.root, name)

    return dependency


def base_url_of(request: Request) -> str:
    """Where clients reach this service, for the URLs it hands out."""
    settings: Settings = request.app.state.root.settings
    return settings.public_base_url or str(request.base_url).rstrip("/")


async def base_url(request: Request) -> str:
    return base_url_of(request)


SettingsDep = Annotated[Settings, Depends(part("settings"))]
GenerationDep = Annotated[GenerationService, Depends(part("generation"))]
FleetDep = Annotated[Fleet, Depends(part("fleet"))]
WatchesDep = Annotated[JobWatches, Depends(part("watches"))]
TokensDep = Annotated[TokenCounter, Depends(part("tokens"))]
ImagesDep = Annotated[ImageService, Depends(part("images"))]
KeysDep = Annotated[KeyService, Depends(part("keys"))]
LorasDep = Annotated[LoraService, Depends(part("loras"))]
UsageDep = Annotated[UsageService, Depends(part("usage"))]
ClientOptionsDep = Annotated[ClientOptions, Depends(part("client_options"))]
MetricsDep = Annotated[Metrics, Depends(part("metrics"))]
StatusDep = Annotated[ServiceStatus, Depends(part("status"))]
ReadinessDep = Annotated[Readiness, Depends(part("readiness"))]
CredentialsDep = Annotated[ContentCredentials, Depends(part("credentials"))]
DeliveriesDep = Annotated[DeliveryLog, Depends(part("deliveries"))]
PlansDep = Annotated[PlanBook, Depends(part("plans"))]
AccessDep = Annotated[AccessService, Depends(part("access"))]
SessionsDep = Annotated[Sessions, Depends(part("sessions"))]
ClockDep = Annotated[Clock, Depends(part("clock"))]
BaseUrl = Annotated[str, Depends(base_url)]
