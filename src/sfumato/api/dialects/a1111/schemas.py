"""AUTOMATIC1111's request and answer shapes. Its request models are lenient: every field may be null, and
keys they do not know are ignored (clients send their whole settings: `override_settings`,
`alwayson_scripts`, `url`, `auth`, …). The defaults are AUTOMATIC1111's own (modules/processing.py,
modules/api/models.py)."""

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class Txt2ImgRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")

    prompt: str | None = ""
    negative_prompt: str | None = ""
    styles: list[str] | None = None
    seed: Any = -1  # -1, null, "" or not a number: random
    subseed: Any = -1
    subseed_strength: float | None = 0
    seed_resize_from_h: int | None = -1
    seed_resize_from_w: int | None = -1
    sampler_name: str | None = None
    sampler_index: str | None = "Euler"
    scheduler: str | None = None
    batch_size: int | None = 1
    n_iter: int | None = 1
    steps: int | None = 50
    cfg_scale: float | None = 7.0
    width: int | None = 512
    height: int | None = 512
    restore_faces: bool | None = None
    tiling: bool | None = None
    do_not_save_samples: bool | None = False
    do_not_save_grid: bool | None = False
    eta: float | None = None
    denoising_strength: float | None = None
    s_min_uncond: float | None = None
    s_churn: float | None = None
    s_tmax: float | None = None
    s_tmin: float | None = None
    s_noise: float | None = None
    override_settings: dict[str, Any] | None = None
    override_settings_restore_afterwards: bool | None = True
    refiner_checkpoint: str | None = None
    refiner_switch_at: float | None = None
    disable_extra_networks: bool | None = False
    comments: dict[str, Any] | None = None
    enable_hr: bool | None = False
    firstphase_width: int | None = 0
    firstphase_height: int | None = 0
    hr_scale: float | None = 2.0
    hr_upscaler: str | None = None
    hr_second_pass_steps: int | None = 0
    hr_resize_x: int | None = 0
    hr_resize_y: int | None = 0
    hr_checkpoint_name: str | None = None
    hr_sampler_name: str | None = None
    hr_scheduler: str | None = None
    hr_prompt: str | None = ""
    hr_negative_prompt: str | None = ""
    force_task_id: str | None = None
    script_name: str | None = None
    script_args: list[Any] | None = Field(default_factory=list)
    send_images: bool | None = True
    save_images: bool | None = False
    alwayson_scripts: dict[str, Any] | None = Field(default_factory=dict)
    infotext: str | None = None


def _needs_an_image(schema: dict[str, Any]) -> None:
    """The schema says what the route holds to: `init_images` given, one picture at least (the model stays
    lenient, so that a null is answered in the route's own words)."""
    schema["properties"]["init_images"] = {
        "type": "array",
        "items": {"type": "string"},
        "minItems": 1,
        "description": "the picture to redraw (the first), as base64 or a data: URL",
    }
    schema.setdefault("required", []).append("init_images")


class Img2ImgRequest(Txt2ImgRequest):
    model_config = ConfigDict(extra="ignore", json_schema_extra=_needs_an_image)

    init_images: list[str] | None = None
    resize_mode: int | None = 0
    denoising_strength: float | None = 0.75
    image_cfg_scale: float | None = None
    mask: str | None = None
    mask_blur_x: int | None = 4
    mask_blur_y: int | None = 4
    mask_blur: int | None = None
    mask_round: bool | None = True
    inpainting_fill: int | None = 0
    inpaint_full_res: bool | None = True
    inpaint_full_res_padding: int | None = 0
    inpainting_mask_invert: int | None = 0
    initial_noise_multiplier: float | None = None
    include_init_images: bool | None = False


class ImagesResponse(BaseModel):
    """TextToImageResponse and ImageToImageResponse: `images` raw base64 PNG (no data: prefix), `info` a
    JSON string (clients `JSON.parse` it)."""

    images: list[str]
    parameters: dict[str, Any]
    info: str


class PngInfoRequest(BaseModel):
    """PNGInfoRequest: a PNG as base64 (or a data: URL)."""

    image: str


class PngInfoResponse(BaseModel):
    """PNGInfoResponse: the infotext, the file's other text chunks, and the infotext's fields as
    AUTOMATIC1111's `parse_generation_parameters` reads them (values as text; `Size-1`, `Size-2`)."""

    info: str
    items: dict[str, Any]
    parameters: dict[str, Any]
