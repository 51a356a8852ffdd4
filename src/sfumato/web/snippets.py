"""A studio request as code to copy: curl, Python with httpx, and the official openai client."""

import json
from typing import Any

from sfumato.domain.inputs import TEXT
from sfumato.domain.params import JobParams

_LEFT_OUT = ("quality", "webhook_url", "mode", "source_image_id", "loras")
# A picture sent with the request, and an inpainting job's mask, are not kept as images of the key: the code
# says where each goes.
IMAGE_PLACEHOLDER = "<the picture: a PNG as base64>"
MASK_PLACEHOLDER = "<the mask: a PNG as base64, white where the image is redrawn>"


def request_body(params: JobParams) -> dict[str, Any]:
    """The POST /v1/jobs body that makes this job again (the seed included: the same images): its model,
    its adapters by id at their weights, and the image it started from with its strength."""
    shown = params.public()
    body = {name: value for name, value in shown.items() if name not in _LEFT_OUT and value is not None}
    if not params.person_named():  # the prompt's first words, or an input's name: made again the same way
        body.pop("name", None)
    if params.loras:
        body["loras"] = [{"id": adapter.id, "weight": adapter.weight} for adapter in params.loras]
    if params.mode != TEXT:  # one of the key's images by its id, or a picture sent with the request
        body["image"] = params.source_image_id or IMAGE_PLACEHOLDER
    if params.mask_key is not None:
        body["mask"] = MASK_PLACEHOLDER
    return body


def snippets(params: JobParams, base_url: str) -> list[tuple[str, str]]:
    body = request_body(params)
    as_json = json.dumps(body, ensure_ascii=False)
    curl = (
        f"curl -s {base_url}/v1/jobs \\\n"
        '  -H "Authorization: Bearer $SFUMATO_KEY" -H "Content-Type: application/json" \\\n'
        f"  -d {_shell_quote(as_json)}"
    )
    python = (
        "import os\n\nimport httpx\n\n"
        f"job = httpx.post(\n    {base_url + '/v1/jobs'!r},\n"
        '    headers={"Authorization": f"Bearer {os.environ[\'SFUMATO_KEY\']}", "Prefer": "wait=60"},\n'
        f"    json={_python(body)},\n    timeout=90,\n).json()\n"
        'print([image["id"] for image in job["images"]])'
    )
    return [("curl", curl), ("Python (httpx)", python), ("Python (openai)", _openai(params, body, base_url))]


def _openai(params: JobParams, body: dict[str, Any], base_url: str) -> str:
    """The official client's call: `images.generate`, or for a job made from an image `images.edit` with the
    picture (and mask) as files, as that route takes them (docs/clients.md); this server's own fields in
    `extra_body`, which the client sends in the JSON body, or for an edit as form fields (`loras` as JSON)."""
    names = ("seed", "negative_prompt", "style", "loras")
    extra: dict[str, Any] = {name: body[name] for name in names if name in body}
    edit = params.mode != TEXT
    if edit:
        extra |= {"strength": params.strength}
        if "loras" in extra:
            extra["loras"] = json.dumps(extra["loras"])
    files = ""
    if edit:
        files = '    image=open("input.png", "rb"),  # the picture the job started from (its page shows it)\n'
    if edit and params.mask_key is not None:
        files += '    mask=open("mask.png", "rb"),  # white where the image is redrawn (the page shows it)\n'
    return (
        "import os\n\nfrom openai import OpenAI\n\n"
        f"client = OpenAI(base_url={base_url + '/v1'!r}, api_key=os.environ['SFUMATO_KEY'])\n"
        f"result = client.images.{'edit' if edit else 'generate'}(\n    model={params.model!r},\n"
        + files
        + f"    prompt={params.prompt!r},\n    n={params.n},\n"
        f'    size="{params.width}x{params.height}",\n    response_format="b64_json",\n'
        + (f"    extra_body={_python(extra)},\n" if extra else "")
        + ")"
    )


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"


def _python(value: dict[str, Any]) -> str:
    return "{" + ", ".join(f"{name!r}: {item!r}" for name, item in value.items()) + "}"
