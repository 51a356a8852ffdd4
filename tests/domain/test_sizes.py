"""An input picture's size becomes a size the models take: its proportions kept, multiples of 64."""

import pytest

from sfumato.domain.inputs import steps_run
from sfumato.domain.sizes import presets, size_for_input


@pytest.mark.parametrize(
    ("given", "made"),
    [
        ((1024, 1024), (1024, 1024)),
        ((1000, 750), (1024, 768)),  # rounded to the nearest multiple of 64
        ((4096, 4096), (2048, 2048)),  # scaled into the limits, proportions kept
        ((3000, 1000), (2048, 704)),
        ((100, 100), (256, 256)),  # scaled up to the smallest size
        ((100, 3000), (256, 2048)),  # where both limits cannot hold, each side is clamped
    ],
)
def test_an_inputs_size_is_rounded_into_the_limits(given: tuple[int, int], made: tuple[int, int]) -> None:
    assert size_for_input(*given) == made


@pytest.mark.parametrize(
    ("steps", "strength", "run"),
    [(4, 0.6, 2), (4, 1.0, 4), (4, 0.24, 0), (4, 0.25, 1), (8, 0.5, 4), (4, 0, 0)],
)
def test_strength_runs_the_tail_of_the_schedule(steps: int, strength: float, run: int) -> None:
    assert steps_run(steps, strength) == run


def test_the_studios_presets_hold_the_native_area_in_each_shape_and_its_portrait() -> None:
    assert presets(1024) == [
        ("1:1", 1024, 1024),
        ("4:3", 1152, 896),
        ("3:2", 1280, 832),
        ("16:9", 1344, 768),
        ("3:4", 896, 1152),
        ("2:3", 832, 1280),
        ("9:16", 768, 1344),
    ]
    for _, width, height in presets(1024):
        assert abs(width * height - 1024 * 1024) / (1024 * 1024) < 0.07  # within 7% of the native area
