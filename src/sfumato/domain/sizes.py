"""Image sizes the models take (docs/api.md §5): multiples of 64 from 256 to 2048 on each side."""

SIZE_MIN, SIZE_MAX, SIZE_STEP = 256, 2048, 64


def valid_side(value: int) -> bool:
    return value % SIZE_STEP == 0 and SIZE_MIN <= value <= SIZE_MAX


def nearest_side(value: float) -> int:
    """The valid side nearest `value`: a multiple of 64 from 256 to 2048."""
    return min(SIZE_MAX, max(SIZE_MIN, round(value / SIZE_STEP) * SIZE_STEP))


def size_for_input(width: int, height: int) -> tuple[int, int]:
    """The size to make from an input picture: its own, scaled (keeping proportions) into 256 to 2048 on
    each side where it can be, each side then rounded to the nearest multiple of 64 within the limits."""
    scale = min(1.0, SIZE_MAX / max(width, height))
    scale = max(scale, min(SIZE_MIN / min(width, height), SIZE_MAX / max(width, height)))
    return nearest_side(width * scale), nearest_side(height * scale)


# The studio's size presets: these shapes, each at the model's native area (docs/dashboard.md).
ASPECTS = ((1, 1), (4, 3), (3, 2), (16, 9), (3, 4), (2, 3), (9, 16))


def preset(native: int, aspect: tuple[int, int]) -> tuple[int, int]:
    """Width and height of `aspect` (w:h) holding about native x native pixels, each side a multiple of 64."""
    across, down = aspect
    ratio = across / down
    area = native * native
    return nearest_side((area * ratio) ** 0.5), nearest_side((area / ratio) ** 0.5)


def presets(native: int) -> list[tuple[str, int, int]]:
    """Every aspect's label ("16:9") and size at a model's native side."""
    return [(f"{a}:{b}", *preset(native, (a, b))) for a, b in ASPECTS]
