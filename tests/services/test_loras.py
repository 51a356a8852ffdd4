"""The LoRA service (services/loras.py) on both deployments: a request's adapters resolved for its model's
family, and a key's storage counted once when its uploads race."""

import io
import threading
from pathlib import Path

import pytest

from sfumato.config import Settings
from sfumato.db.database import Database
from sfumato.domain.errors import InvalidParameter, PlanForbidden
from sfumato.domain.keys import ApiKey
from sfumato.domain.loras import LoraUse
from sfumato.domain.models import MODELS
from sfumato.roots import parts
from sfumato.services.loras import LoraService
from sfumato.services.models import catalogue_of
from sfumato.services.startup import checked_storage
from tests.conftest import Deployment, ManualClock, all_at_once
from tests.loras import tiny_flux_lora, tiny_lora

SIZE = len(tiny_lora(1))  # every tiny_lora without a text encoder's part is this long


@pytest.fixture
def settings(tmp_path: Path, deployment: Deployment) -> Settings:
    """A server of `tiny` and `tiny-flux`, with a plan of room for three of the tiny LoRAs."""
    tight = {
        "monthly_images": 10,
        "requests_per_minute": 100,
        "reads_per_minute": 100,
        "max_images_per_request": 1,
        "lora_storage_bytes": 3 * SIZE,
    }
    return deployment.settings(tmp_path / "data", plans={"tight": tight}, models="tiny,tiny-flux")


@pytest.fixture
def service(settings: Settings, db: Database, clock: ManualClock) -> LoraService:
    return parts.lora_service(settings, db, checked_storage(settings), clock, catalogue_of(settings))


def key(settings: Settings, db: Database, clock: ManualClock, plan: str = "starter") -> ApiKey:
    made, _ = parts.key_service(settings, db, clock).create("k", plan=plan)
    return made


def test_a_lora_of_another_family_than_the_models_cannot_be_used(
    service: LoraService, settings: Settings, db: Database, clock: ManualClock
) -> None:
    owner = key(settings, db, clock)
    service.add(owner, name="flux-style", source=io.BytesIO(tiny_flux_lora(1)))
    service.add(owner, name="sdxl-style", source=io.BytesIO(tiny_lora(1)))
    limits = service.limits_of(owner)
    assert (
        service.resolve(owner, [LoraUse(name="flux-style")], MODELS["tiny-flux"], limits)[0].name
        == "flux-style"
    )
    with pytest.raises(InvalidParameter) as refused:
        service.resolve(owner, [LoraUse(name="flux-style")], MODELS["tiny"], limits)
    assert refused.value.param == "loras" and "flux family" in refused.value.message


def test_racing_uploads_of_one_key_store_only_what_its_plan_holds(
    service: LoraService, settings: Settings, db: Database, clock: ManualClock
) -> None:
    owner = key(settings, db, clock, plan="tight")  # room for three
    names = iter(f"n{index}" for index in range(5))
    lock = threading.Lock()

    def upload() -> object:
        with lock:
            name = next(names)
        return service.add(owner, name=name, source=io.BytesIO(tiny_lora(1)))

    stored, errors = all_at_once(5, upload)
    assert len(stored) == 3 and all(isinstance(error, PlanForbidden) for error in errors)
    assert service.store.used_bytes(owner.id) == 3 * SIZE
    assert len(service.storage.keys("loras")) == 3  # the refused ones' files taken back
