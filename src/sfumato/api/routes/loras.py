"""LoRA adapters: upload, list, read, delete (docs/api.md §16). Use them in generation with `loras`."""

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from sfumato.api.schemas import Deleted, Limit, ListPublic
from sfumato.http.access import CurrentKey, GenerationKey
from sfumato.http.answers import answer
from sfumato.http.deps import LorasDep
from sfumato.http.objects import LoraPublic
from sfumato.http.threads import in_thread

router = APIRouter(tags=["loras"])


@router.post("/v1/loras", status_code=201, response_model=LoraPublic)
async def upload_lora(
    key: GenerationKey,
    loras: LorasDep,
    file: Annotated[UploadFile, File(description="a .safetensors LoRA (diffusers/PEFT or kohya keys)")],
    name: Annotated[str, Form(description="how requests name it; letters, digits, '.', '_', '-'")],
    trigger_words: Annotated[str, Form(description="comma-separated, or a JSON list")] = "",
    family: Annotated[
        str | None, Form(description="sdxl, flux or sd3, where its tensors fit several")
    ] = None,
) -> Any:
    """Check a LoRA (safetensors only, its size, rank and tensor names against the family's modules) and
    store it for this key; it counts against the plan's LoRA storage. A bad file is 400 naming `file`, and
    nothing is stored."""
    lora = await in_thread(
        loras.add, key, name=name, source=file.file, trigger_words=trigger_words, family=family or None
    )
    return answer(LoraPublic.of(lora), 201)


@router.get("/v1/loras", response_model=ListPublic[LoraPublic])
async def list_loras(key: CurrentKey, loras: LorasDep, limit: Limit = 20, after: str | None = None) -> Any:
    """This key's adapters and the shared ones, newest first."""
    page = await in_thread(loras.list_loras, key, limit=limit, after=after)
    return answer(ListPublic[LoraPublic].of(page, LoraPublic.of))


@router.get("/v1/loras/{lora_id}", response_model=LoraPublic)
async def get_lora(lora_id: str, key: CurrentKey, loras: LorasDep) -> Any:
    return answer(LoraPublic.of(await in_thread(loras.get, key, lora_id)))


@router.delete("/v1/loras/{lora_id}", response_model=Deleted)
async def delete_lora(lora_id: str, key: CurrentKey, loras: LorasDep) -> Any:
    """Delete one of this key's adapters and its file (a shared one: admin keys only). Jobs queued with it
    fail when their turn comes."""
    await in_thread(loras.delete, key, lora_id)
    return Deleted(id=lora_id, object="lora")
