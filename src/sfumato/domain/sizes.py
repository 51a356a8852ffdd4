"""Image sizes the models take (docs/api.md §5): multiples of 64 from 256 to 2048 on each side."""

SIZE_MIN, SIZE_MAX, SIZE_STEP = 256, 2048, 64


def valid_side(value: int) -> bool:
    return value % SIZE_STEP == 0 and SIZE_MIN <= value <= SIZE_MAX


def size_for_input(width: int, height: int) -> tuple[int, int]:
    """The size to make from an input picture: its own, scaled (keeping proportions) into 256 to 2048 on
    each side where it can be, each side then rounded to the nearest multiple of 64 within the limits."""
    scale = min(1.0, SIZE_MAX / max(width, height))
    scale = max(scale, min(SIZE_MIN / min(width, height), SIZE_MAX / max(width, height)))

    def side(value: float) -> int:
        rounded = round(value / SIZE_STEP) * SIZE_STEP
        return min(SIZE_MAX, max(SIZE_MIN, rounded))

    return side(width * scale), side(height * scale)
