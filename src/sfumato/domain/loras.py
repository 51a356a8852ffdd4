"""LoRA adapters (docs/api.md §16): an uploaded adapter as a record, one entry of a request's `loras`, and
an adapter resolved for a job (what its worker loads, at what weight). Pure: whoever reads the file and
the table hands the facts in."""

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sfumato.domain.errors import InvalidParameter, PlanForbidden

# A name goes into prompts (AUTOMATIC1111's `<lora:NAME:WEIGHT>`, which ends a name at ':' or '>'), so it
# holds neither; letters, digits, '.', '_' and '-', as a model's name.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
MIN_WEIGHT, MAX_WEIGHT = -2.0, 2.0
FOLDER = "loras"  # where the files live in the store, beside the jobs' folders
PEFT, KOHYA = "peft", "kohya"  # the two key layouts read (diffusers/PEFT, kohya-ss/AUTOMATIC1111)


def checked_name(name: str, param: str = "name") -> str:
    if not NAME.match(name):
        raise InvalidParameter(
            f"{param} must be 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit",
            param=param,
        )
    return name


def storage_key(lora_id: str) -> str:
    return f"{FOLDER}/{lora_id}.safetensors"


@dataclass(frozen=True)
class Lora:
    """An uploaded adapter: whose it is (None: the operator's, shared with every key), the family its
    modules fit, and what its file says of itself."""

    id: str
    key_id: str | None
    name: str
    family: str
    base_model: str | None  # as the file's metadata names it, when it does
    rank: int  # the largest of its modules'
    size: int  # bytes of its file
    modules: dict[str, int]  # component (unet, text_encoder, …) to how many of its modules it touches
    trigger_words: list[str]
    layout: str  # PEFT or KOHYA
    sha256: str
    storage_key: str
    created_at: datetime

    @property
    def shared(self) -> bool:
        return self.key_id is None

    @property
    def short_hash(self) -> str:
        """The first 12 hex digits of the file's sha256, as long as AUTOMATIC1111's short hashes."""
        return self.sha256[:12]


class LoraUse(BaseModel):
    """One entry of a request's `loras`: an adapter by `name` or `id`, and its weight."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(None, description="an adapter of GET /v1/loras, by name")
    id: str | None = Field(None, description="an adapter of GET /v1/loras, by id")
    weight: float = Field(1.0, description="-2 to 2; 0 turns it off")

    @model_validator(mode="after")
    def _one_way(self) -> Self:
        if (self.name is None) == (self.id is None):
            raise InvalidParameter('each of loras takes "name" or "id" (one of them)', param="loras")
        if not (math.isfinite(self.weight) and MIN_WEIGHT <= self.weight <= MAX_WEIGHT):
            raise InvalidParameter(
                f"a LoRA's weight must be between {MIN_WEIGHT:g} and {MAX_WEIGHT:g}", param="loras"
            )
        return self

    @property
    def ref(self) -> str:
        return self.id or self.name or ""


@dataclass(frozen=True)
class Adapter:
    """A request's adapter resolved: what its job stores, its images' records name, and its worker loads."""

    id: str
    name: str
    weight: float
    sha256: str  # the file's: the worker's disk cache and AUTOMATIC1111's hash
    storage_key: str
    size: int

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "weight": self.weight}

    def to_dict(self) -> dict[str, Any]:
        return dict(vars(self))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Adapter":
        return cls(**data)


def check_uses(uses: Sequence[LoraUse], allowed: int, plan: str) -> None:
    """At most the plan's adapters a request, each once."""
    if len(uses) > allowed:
        raise PlanForbidden(
            f"the {plan} plan allows at most {allowed} LoRA adapter{'s' if allowed != 1 else ''} a request",
            param="loras",
        )
    refs = [use.ref for use in uses]
    if len(set(refs)) < len(refs):
        raise InvalidParameter("each LoRA may appear once in loras", param="loras")


def resolved(lora: Lora, weight: float, family: str, model: str) -> Adapter:
    """An adapter a key may use, for a model of `family`; InvalidParameter (`loras`) when it was made for
    another family."""
    if lora.family != family:
        raise InvalidParameter(
            f"LoRA {lora.name!r} is for the {lora.family} family; model {model!r} is {family}",
            param="loras",
        )
    return Adapter(lora.id, lora.name, float(weight), lora.sha256, lora.storage_key, lora.size)


def set_key(adapters: Sequence[Adapter]) -> str:
    """What a batch's jobs must share of their adapters: the same ones, in order, at the same weights
    (empty without any, so jobs without adapters batch as they always have)."""
    if not adapters:
        return ""
    text = ";".join(f"{adapter.id}:{adapter.weight:g}" for adapter in adapters)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
