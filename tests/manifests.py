"""Reading content credentials the way a recipient does: with c2pa-python itself (its Reader, as in its README
and docs/usage.md), not with the service's own code; and the two ways a file loses them."""

import io
import json
from dataclasses import dataclass
from typing import Any

import c2pa
from PIL import Image

MIME = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
TRAINED = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"


@dataclass(frozen=True)
class ReadBack:
    state: str | None  # c2pa's validation state: Trusted, Valid, Invalid; None: no manifest
    manifest: dict[str, Any]  # the active manifest
    manifests: dict[str, Any]  # every manifest of the store, by label
    failures: list[str]

    def actions(self) -> list[dict[str, Any]]:
        return [
            action
            for assertion in self.manifest.get("assertions", [])
            if assertion["label"].startswith("c2pa.actions")
            for action in assertion["data"]["actions"]
        ]

    def action(self, name: str) -> dict[str, Any]:
        (found,) = [action for action in self.actions() if action["action"] == name]
        return found

    def parents(self) -> list[dict[str, Any]]:
        return [i for i in self.manifest.get("ingredients", []) if i.get("relationship") == "parentOf"]


def file_format(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as opened:
        return str(opened.format)


def read_back(data: bytes, anchors: bytes | None = None) -> ReadBack:
    """c2pa-python's reading of `data`, trusting the CA certificates in `anchors` (PEM), offline."""
    settings: dict[str, Any] = {"verify": {"remote_manifest_fetch": False, "ocsp_fetch": False}}
    if anchors:
        settings["trust"] = {"user_anchors": anchors.decode()}
    context = c2pa.Context.from_dict(settings)
    try:
        reader = c2pa.Reader(MIME[file_format(data)], io.BytesIO(data), context=context)
    except c2pa.C2paError.ManifestNotFound:
        return ReadBack(None, {}, {}, [])
    with reader:
        results = reader.get_validation_results() or {}
        return ReadBack(
            reader.get_validation_state(),
            reader.get_active_manifest() or {},
            json.loads(reader.json())["manifests"],
            [entry["code"] for entry in results.get("activeManifest", {}).get("failure", [])],
        )


def _pixels_at(data: bytes) -> int:
    """Where the compressed pixels start, found by walking the file's chunks (a manifest's bytes, which come
    earlier, may hold any byte sequence): PNG's first IDAT, JPEG's scan after SOS, WebP's VP8/VP8L chunk."""
    fmt = file_format(data)
    if fmt == "PNG":
        at = 8
        while data[at + 4 : at + 8] != b"IDAT":
            at += 12 + int.from_bytes(data[at : at + 4], "big")
        return at + 8
    if fmt == "JPEG":
        at = 2
        while data[at : at + 2] != b"\xff\xda":
            at += 2 + int.from_bytes(data[at + 2 : at + 4], "big")
        return at + 2 + int.from_bytes(data[at + 2 : at + 4], "big")
    at = 12
    while data[at : at + 4] not in (b"VP8 ", b"VP8L"):
        size = int.from_bytes(data[at + 4 : at + 8], "little")
        at += 8 + size + size % 2
    return at + 8


def tampered(data: bytes) -> bytes:
    """One bit of the compressed pixels flipped, well inside them. The picture may still decode; the
    manifest's hash of the file no longer matches."""
    at = _pixels_at(data) + 64
    changed = bytearray(data)
    changed[at] ^= 0x01
    return bytes(changed)


def stripped(data: bytes) -> bytes:
    """The same picture saved again by Pillow, which keeps no C2PA data: what a re-upload often does."""
    with Image.open(io.BytesIO(data)) as opened:
        fmt = str(opened.format)
        buffer = io.BytesIO()
        opened.save(buffer, fmt)
    return buffer.getvalue()
