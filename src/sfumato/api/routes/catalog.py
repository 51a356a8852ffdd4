"""What this server offers: models (OpenAI-style) and style presets."""

from typing import Any

from fastapi import APIRouter

from sfumato.domain.styles import STYLES
from sfumato.http.access import CurrentKey
from sfumato.http.deps import GenerationDep

router = APIRouter(tags=["catalog"])


@router.get("/v1/models")
async def list_models(_key: CurrentKey, generation: GenerationDep) -> dict[str, Any]:
    """The models this server serves, with their defaults."""
    data = []
    for name in generation.served:
        spec = generation.catalogue[name]
        data.append(
            {
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
                "family": spec.family,
                "license": spec.license,
                "open_license": spec.open_license,
            }
        )
    return {"object": "list", "data": data}


@router.get("/v1/styles")
async def list_styles(_key: CurrentKey) -> dict[str, Any]:
    """The presets `style` accepts: each wraps the prompt in its template and adds negative terms."""
    data = [
        {"id": s.name, "object": "style", "prompt": s.prompt, "negative_prompt": s.negative or None}
        for s in STYLES.values()
    ]
    return {"object": "list", "data": data}
