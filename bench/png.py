"""PNG encoding: milliseconds and bytes an image at each zlib level (SFUMATO_PNG_COMPRESS_LEVEL).

    python -m bench.png --images 50 --size 1024 --levels 1,2,4,6

The images stand in for SDXL's: smooth colour fields (a few broad waves of each channel) under fine
noise (sigma 4), as a photograph-like picture is, each one different; never the noise alone, which no
level compresses. Each is encoded once at each level, in one process and one thread, the way one encoder
thread of the worker does (imaging/formats.py: the parameters' text chunk included).
"""

import argparse
from pathlib import Path
from typing import Any

from bench.common import Timer, median, percentile, write_result


def picture(seed: int, size: int) -> Any:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size] / size
    channels = []
    for _ in range(3):
        field = np.zeros((size, size))
        for _ in range(4):  # broad waves: sky, skin, walls
            fx, fy, phase = rng.uniform(0.3, 3.0), rng.uniform(0.3, 3.0), rng.uniform(0, 6.3)
            field += rng.uniform(20, 50) * np.sin(6.3 * (fx * x + fy * y) + phase)
        channels.append(128 + field + rng.normal(0, 4, (size, size)))
    return Image.fromarray(np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8))


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sfumato.imaging.formats import encode_image

    pictures = [picture(seed, args.size) for seed in range(args.images)]
    parameters = {"prompt": "a benchmark picture", "seed": 0, "steps": 4, "model": "sdxl-lightning"}
    rows = []
    for level in args.levels:
        times, sizes = [], []
        for image in pictures:
            with Timer() as encode:
                data = encode_image(image, "png", quality=90, parameters=parameters, compress_level=level)
            times.append(encode.seconds)
            sizes.append(len(data))
        rows.append(
            {
                "level": level,
                "ms_p50": round(median(times) * 1000, 1),
                "ms_p95": round(percentile(times, 0.95) * 1000, 1),
                "bytes_mean": round(sum(sizes) / len(sizes)),
            }
        )
        print(f"level {level}: {rows[-1]['ms_p50']} ms an image (p50), {rows[-1]['bytes_mean']:,} bytes")
    return {"images": args.images, "size": args.size, "rows": rows}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.png", description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50)
    parser.add_argument("--size", type=int, default=1024)
    parser.add_argument("--levels", type=lambda text: [int(n) for n in text.split(",")], default=[1, 2, 4, 6])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    path = write_result("png", run(args), args.json)
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
