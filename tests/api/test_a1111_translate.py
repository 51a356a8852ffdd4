"""AUTOMATIC1111's requests translated, never refused: the pure rules of api/dialects/a1111/translate.py."""

import json
from datetime import UTC, datetime

import pytest

from sfumato import __version__
from sfumato.api.dialects.a1111.schemas import Txt2ImgRequest
from sfumato.api.dialects.a1111.translate import info, plan, seed_of, side
from sfumato.domain.images import Image
from sfumato.domain.models import MODELS

LIGHTNING = MODELS["sdxl-lightning"]


@pytest.mark.parametrize(
    ("given", "seed"),
    [
        (-1, None),
        (None, None),
        ("", None),
        ("abc", None),
        ("1e400", None),
        (float("inf"), None),
        (7, 7),
        ("12", 12),
        (2**31, 0),
        (2**31 + 5, 5),
        (10**400, 10**400 % 2**31),
    ],
    ids=lambda value: str(value)[:12],
)
def test_a_seed_of_minus_one_or_not_a_number_is_random_and_big_ones_wrap(
    given: object, seed: int | None
) -> None:
    assert seed_of(given) == seed


@pytest.mark.parametrize(
    ("given", "made"),
    [(None, 512), (500, 512), (100, 256), (5000, 2048), (1000, 1024), (10**400, 2048), (-(10**400), 256)],
    ids=["none", "500", "100", "5000", "1000", "1e400", "-1e400"],
)
def test_sides_go_to_the_nearest_multiple_of_64_within_range(given: int | None, made: int) -> None:
    assert side(given) == made


def test_what_the_model_cannot_honour_is_brought_into_range_and_said() -> None:
    body = Txt2ImgRequest(prompt="a fox", steps=50, cfg_scale=7, sampler_name="DPM++ 2M", width=500, n_iter=2)
    made = plan(body, LIGHTNING)
    request = made.request
    assert (request.steps, request.width, request.height, request.n) == (8, 512, 512, 2)
    assert request.guidance_scale == round(2 * (7 - 1) / 19, 4)  # 1 to 20 onto 0 to 2
    assert made.requested == {
        "Requested sampler": "DPM++ 2M",
        "Requested steps": 50,
        "Requested CFG scale": 7,
        "Requested size": "500x512",
    }


@pytest.mark.parametrize(
    ("extra", "size"),
    [
        ({"hr_scale": 1.5}, (768, 768)),
        ({"hr_resize_x": 1024}, (1024, 1024)),
        ({"hr_resize_x": 1024, "hr_resize_y": 640}, (1024, 640)),
        ({"hr_scale": 1e308}, (2048, 2048)),  # past every size: the largest, as any scale past 4 here
        ({"hr_scale": -1e308}, (512, 512)),  # never smaller than the first pass
        ({"hr_resize_x": 10**400}, (2048, 2048)),
        ({"hr_resize_y": 10**400, "hr_resize_x": -(10**400)}, (2048, 2048)),  # x as if not sent
    ],
)
def test_the_hires_fix_size_comes_from_the_scale_or_the_resize(extra: dict, size: tuple[int, int]) -> None:
    body = Txt2ImgRequest.model_validate(
        {"prompt": "x", "enable_hr": True, "denoising_strength": 0.4} | extra
    )
    hires = plan(body, LIGHTNING).hires
    assert hires is not None and (hires.width, hires.height) == size and hires.strength == 0.4


def test_info_is_a_json_string_with_what_clients_read() -> None:
    body = Txt2ImgRequest(prompt="a fox", negative_prompt="blur", seed=3, steps=4, cfg_scale=1)
    made = plan(body, LIGHTNING)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    image = Image(
        id="image_1",
        key_id="key_1",
        job_id="job_1",
        job_index=0,
        name="automatic1111",
        width=512,
        height=512,
        format="png",
        size=100,
        storage_key="job_1/1-0.png",
        prompt="a fox",
        negative_prompt="blur",
        seed=3,
        model="sdxl-lightning",
        style=None,
        created_at=now,
        expires_at=now,
    )
    described = json.loads(info(made, [image], "sdxl-lightning", "abc", {}, now))
    assert (described["seed"], described["all_seeds"], described["width"], described["steps"]) == (
        3,
        [3],
        512,
        4,
    )
    assert described["job_timestamp"] == "20261130000000"
    assert described["infotexts"] == [
        "a fox\nNegative prompt: blur\nSteps: 4, Sampler: Euler, Schedule type: SGM Uniform, CFG scale: 0.0, "
        "Seed: 3, Size: 512x512, Model hash: abc, Model: sdxl-lightning, Requested CFG scale: 1.0, "
        f"Version: sfumato-{__version__}"
    ]
