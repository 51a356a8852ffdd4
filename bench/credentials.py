"""Content credentials: what signing adds to an image, in bytes and milliseconds, against the file unsigned.

    python -m bench.credentials --images 20 --sizes 512,1024 --formats png,jpeg,webp

Each picture (bench/png.py's photograph-like one) is encoded as the worker encodes it (imaging/formats.py,
PNG at zlib level 4, JPEG and WebP at quality 90), then signed as the worker signs it
(services.credentials: a c2pa.created manifest, the local CA's ES256 key, no thumbnail), in one thread.
Where the time goes: `hash_ms` is one SHA-256 of the file (c2pa hashes the file to bind the manifest to it,
then reads it back once more to check what it signed), the rest is building, signing (ECDSA) and writing
the manifest into the file.
"""

import argparse
import hashlib
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import Timer, median, percentile, write_result
from bench.png import picture


def run(args: argparse.Namespace) -> dict[str, Any]:
    from sfumato.credentials.identity import load_identity
    from sfumato.credentials.local import make_local
    from sfumato.credentials.reader import Reader
    from sfumato.credentials.signer import Signer
    from sfumato.domain.params import JobParams
    from sfumato.imaging.formats import encode_image, file_parameters
    from sfumato.services.credentials import ContentCredentials

    now = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        files = make_local(Path(folder), now)
        identity = load_identity(files.chain.read_bytes(), files.key.read_bytes(), now, local=True)
    credentials = ContentCredentials(Signer(identity), Reader(identity.anchors_pem))
    rows = []
    for size in args.sizes:
        pictures = [picture(seed, size) for seed in range(args.images)]
        for fmt in args.formats:
            params = JobParams(
                prompt="a benchmark picture",
                negative_prompt=None,
                seed=0,
                width=size,
                height=size,
                steps=4,
                guidance_scale=0.0,
                style=None,
                n=1,
                model="sdxl-lightning",
                format=fmt,
                quality=90,
                name="b",
            )
            encodes, signs, hashes, plain, added = [], [], [], [], []
            for index, image in enumerate(pictures):
                with Timer() as encode:
                    data = encode_image(
                        image, fmt, quality=90, parameters=file_parameters(params, 0), compress_level=4
                    )
                with Timer() as hashing:
                    hashlib.sha256(data).digest()
                with Timer() as sign:
                    signed = credentials.sign_generated(
                        data, fmt, title=f"image_{index}", params=params, when=now, archive=None
                    )
                encodes.append(encode.seconds)
                signs.append(sign.seconds)
                hashes.append(hashing.seconds)
                plain.append(len(data))
                added.append(len(signed) - len(data))
            rows.append(
                {
                    "size": size,
                    "format": fmt,
                    "bytes_unsigned": round(sum(plain) / len(plain)),
                    "bytes_added": round(sum(added) / len(added)),
                    "encode_ms_p50": round(median(encodes) * 1000, 1),
                    "sign_ms_p50": round(median(signs) * 1000, 1),
                    "sign_ms_p95": round(percentile(signs, 0.95) * 1000, 1),
                    "hash_ms_p50": round(median(hashes) * 1000, 2),
                }
            )
    print("| size | format | unsigned bytes | signing adds | encode ms p50 | sign ms p50, p95 | hash ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for row in rows:
        print(
            f"| {row['size']} | {row['format']} | {row['bytes_unsigned']:,} | {row['bytes_added']:,} | "
            f"{row['encode_ms_p50']} | {row['sign_ms_p50']}, {row['sign_ms_p95']} | {row['hash_ms_p50']} |"
        )
    return {"images": args.images, "thumbnail": False, "algorithm": "ES256", "rows": rows}


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(prog="python -m bench.credentials", description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--sizes", type=lambda text: [int(n) for n in text.split(",")], default=[512, 1024])
    parser.add_argument("--formats", type=lambda text: text.split(","), default=["png", "jpeg", "webp"])
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    path = write_result("credentials", run(args), args.json)
    print(f"written to {path}")
    return path


if __name__ == "__main__":
    main()
