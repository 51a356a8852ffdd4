"""POST /v1/credentials/verify: what an image's content credentials say (docs/credentials.md). An upload
(multipart `file`) or one of the key's images (JSON `{"image": "image_…"}`); another key's image is 404."""

from dataclasses import asdict
from json import JSONDecodeError
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from sfumato.domain.errors import InvalidJson, InvalidParameter, MissingParameter, PayloadTooLarge
from sfumato.http.access import CurrentKey
from sfumato.http.deps import CredentialsDep, ImagesDep, SettingsDep
from sfumato.http.threads import in_thread

router = APIRouter(tags=["credentials"])


class SignerPublic(BaseModel):
    name: str | None = Field(description="the signing certificate's common name")
    issuer: str | None = Field(description="who issued it (its CA's organization)")
    time: str | None = Field(None, description="when it was signed, if the manifest says")


class ActionPublic(BaseModel):
    action: str = Field(description="`c2pa.created`, `c2pa.opened`, `c2pa.edited`, `c2pa.converted`, …")
    when: str | None = None
    software_agent: str | None = None
    digital_source_type: str | None = Field(
        None, description="`…/trainedAlgorithmicMedia`: made by a generative model"
    )


class IngredientPublic(BaseModel):
    title: str | None = Field(description="for Sfumato's own images, the parent image's id")
    relationship: str | None = Field(description="`parentOf`: the image this one was made from")
    format: str | None
    has_credentials: bool = Field(description="the ingredient carried content credentials of its own")
    model: str | None = Field(None, description="the model its own credentials name")


class VerdictPublic(BaseModel):
    present: bool = Field(description="the file carries a C2PA manifest")
    valid: bool = Field(description="its signature and its hashes of the file check out")
    trusted: bool = Field(description="valid, and signed by a certificate of a CA this service trusts")
    signer: SignerPublic | None
    model: str | None = Field(description="the model that made it (for a transform, its source's)")
    actions: list[ActionPublic]
    ingredients: list[IngredientPublic]
    failures: list[str] = Field(description="c2pa's validation failure codes, if any")


_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {"file": {"type": "string", "format": "binary"}},
                    "required": ["file"],
                }
            },
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {"image": {"type": "string", "description": "one of the key's image ids"}},
                    "required": ["image"],
                    "additionalProperties": False,
                }
            },
        },
    }
}


async def _upload(request: Request, max_bytes: int) -> bytes:
    form = await request.form(max_files=1, max_fields=8)
    file = form.get("file")
    if file is None:
        raise MissingParameter("file is required: a PNG, JPEG or WebP file", param="file")
    if not isinstance(file, UploadFile):
        raise InvalidParameter("file must be a file", param="file")
    data = await file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise PayloadTooLarge(f"file is larger than {max_bytes} bytes", param="file")
    return data


async def _image_id(request: Request) -> str:
    try:
        body = await request.json()
    except (JSONDecodeError, UnicodeDecodeError):
        raise InvalidJson("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise InvalidParameter('the body must be a JSON object: {"image": "image_…"}')
    unknown = sorted(set(body) - {"image"})
    if unknown:
        raise InvalidParameter(f"unknown field {unknown[0]!r}", param=unknown[0])
    image = body.get("image")
    if image is None:
        raise MissingParameter("image is required: one of this key's image ids", param="image")
    if not isinstance(image, str):
        raise InvalidParameter("image must be an image id (a string)", param="image")
    return image


@router.post("/v1/credentials/verify", response_model=VerdictPublic, openapi_extra=_BODY)
async def verify(
    request: Request,
    key: CurrentKey,
    credentials: CredentialsDep,
    images: ImagesDep,
    settings: SettingsDep,
) -> Any:
    """Read and check an image's content credentials: present, valid (the pixels are those signed),
    trusted (signed under this service's CA or one the operator added), who signed, what made it, and
    what it was made from."""
    kind = request.headers.get("content-type", "")
    if kind.startswith("multipart/form-data"):
        data = await _upload(request, settings.max_input_bytes)
        verdict = await in_thread(credentials.verify, data)
    elif kind.startswith("application/json") or not kind:
        verdict = await in_thread(images.verify, key, await _image_id(request))
    else:
        raise InvalidParameter(
            'send the image as multipart/form-data `file`, or JSON {"image": "image_…"}', param="file"
        )
    return VerdictPublic.model_validate(asdict(verdict))
