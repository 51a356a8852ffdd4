"""What this server offers: the fleet's models (OpenAI-style) and style presets."""

from typing import Any

from fastapi import APIRouter

from sfumato.domain.models import ModelSpec
from sfumato.domain.styles import STYLES
from sfumato.http.access import CurrentKey
from sfumato.http.deps import FleetDep, GenerationDep, PlansDep
from sfumato.http.threads import in_thread

router = APIRouter(tags=["catalog"])


def model_json(spec: ModelSpec, workers: int, loaded: bool) -> dict[str, Any]:
    return {
        "id": spec.name,
        "object": "model",
        "created": spec.created,
        "owned_by": spec.owned_by,
        "description": spec.description,
        "default_steps": spec.default_steps,
        "min_steps": spec.min_steps,
        "max_steps": spec.max_steps,
        "default_guidance_scale": spec.default_guidance_scale,
        "width": spec.native_size,
        "height": spec.native_size,
        "min_side": spec.min_side,
        "max_side": spec.max_side,
        "family": spec.family,
        "license": spec.license,
        "open_license": spec.open_license,
        "workers": workers,
        "loaded": loaded,
    }


@router.get("/v1/models")
async def list_models(
    key: CurrentKey, generation: GenerationDep, fleet: FleetDep, plans: PlansDep
) -> dict[str, Any]:
    """The models the fleet serves now (this server's own first, its default leading), with their
    defaults, limits, licence, how many live workers serve each (`workers`) and whether one holds it in
    memory (`loaded`); only those the key's plan allows."""
    limits = plans.limits_of(key)
    data = [
        model_json(generation.catalogue[model.name], model.workers, model.loaded)
        for model in await in_thread(fleet.models)
        if model.name in generation.catalogue and limits.allows(model.name)
    ]
    return {"object": "list", "data": data}


@router.get("/v1/styles")
async def list_styles(_key: CurrentKey) -> dict[str, Any]:
    """The presets `style` accepts: each wraps the prompt in its template and adds negative terms."""
    data = [
        {"id": s.name, "object": "style", "prompt": s.prompt, "negative_prompt": s.negative or None}
        for s in STYLES.values()
    ]
    return {"object": "list", "data": data}
