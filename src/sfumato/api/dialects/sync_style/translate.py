"""The synchronous dialect's request as a GenerationRequest, and an image as it answers one."""

from sfumato.api.dialects.sync_style.schemas import SyncStyleImage, SyncStyleRequest
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.images import Image
from sfumato.domain.models import ModelSpec
from sfumato.http.objects import access_url


def to_generation(request: SyncStyleRequest, spec: ModelSpec) -> GenerationRequest:
    return GenerationRequest(
        prompt=request.prompt,
        negative_prompt=request.negative_prompt,
        seed=request.seed,
        width=request.width,
        height=request.height,
        guidance_scale=model_guidance(request.guidance_scale, spec),
        style=request.style,
        n=request.n,
        webhook_url=request.webhook_url,
        loras=request.loras,
    )


def model_guidance(scale: float, spec: ModelSpec) -> float:
    """This dialect's 1 to 20 scale, onto the model's.

    A distilled model (default guidance 0, the SDXL-Lightning ones) was trained to run without
    guidance; the scale maps linearly onto 0 to 2, so the default 7.5 becomes 0.68 (no guidance, full
    speed) and only scales above 10.5 switch guidance on (the negative prompt then counts), at most
    2, as far as such a model tolerates. Other models take the scale as it is.
    """
    if spec.default_guidance_scale <= 1.0:
        return round((scale - 1.0) * 2.0 / 19.0, 4)
    return scale


def image_answer(image: Image, base_url: str) -> SyncStyleImage:
    return SyncStyleImage(
        id="img_" + image.id.removeprefix("image_"),
        url=access_url(image, base_url),
        width=image.width,
        height=image.height,
        created_at=image.created_at,
        prompt=image.prompt,
        seed=image.seed,
    )
