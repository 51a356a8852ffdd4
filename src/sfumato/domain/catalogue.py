"""The catalogue a process knows: the built-in models and the operator's entries (docs/models.md, "Adding a
model"). An entry needs no code: a name, a family, a source (a hub id or a local diffusers folder), and
what the family does not already say (steps, guidance, size, licence). Pure: whoever reads the settings
and files hands the entries in."""

import re
from collections.abc import Iterable, Iterator, Mapping
from pathlib import PurePath
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sfumato.domain.errors import ModelUnavailable
from sfumato.domain.families import EMBEDDED, FAMILIES, NO_GUIDANCE
from sfumato.domain.models import BUILT_IN, PRETRAINED, ModelSpec

OPERATOR_CREATED = 0  # an operator's entry has no release date
# A model's name goes into every job and image row (80 characters there) and into clients' requests.
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
EMBEDDED_SCALE = 3.5  # FLUX.1-dev's usual guidance, for an entry of embedded guidance that gives none


class Entry(BaseModel):
    """One operator entry, as the catalogue file or SFUMATO_CATALOGUE gives it."""

    model_config = ConfigDict(extra="forbid")

    family: Literal["sdxl", "flux", "sd3"]
    source: str = Field(min_length=1)
    description: str = ""
    default_steps: int | None = Field(None, ge=1, le=200)
    min_steps: int = Field(1, ge=1)
    max_steps: int = Field(50, ge=1, le=200)
    guidance: str | None = None
    default_guidance_scale: float | None = Field(None, ge=0, le=20)
    native_size: int = Field(1024, ge=256, le=2048, multiple_of=64)
    min_side: int = Field(256, ge=256, le=2048, multiple_of=64)
    max_side: int = Field(2048, ge=256, le=2048, multiple_of=64)
    sequence_length: int | None = Field(None, ge=1, le=512)
    inpainting: bool = True
    license: str = "unknown"
    open_license: bool = False
    owned_by: str = "operator"

    @model_validator(mode="after")
    def _consistent(self) -> "Entry":
        family = FAMILIES[self.family]
        if self.guidance is not None and self.guidance not in family.guidance:
            raise ValueError(
                f"guidance must be one of {', '.join(family.guidance)} for the {self.family} family"
            )
        steps = self.default_steps or family.default_steps
        if not self.min_steps <= steps <= self.max_steps:
            raise ValueError(f"default_steps {steps} is not within {self.min_steps} to {self.max_steps}")
        if not self.min_side <= self.native_size <= self.max_side:
            raise ValueError("native_size must lie within min_side and max_side")
        return self

    def _guidance_scale(self, guidance: str) -> float:
        if self.default_guidance_scale is not None:
            return self.default_guidance_scale
        if guidance == NO_GUIDANCE:
            return 0.0
        return EMBEDDED_SCALE if guidance == EMBEDDED else FAMILIES[self.family].default_guidance_scale

    def spec(self, name: str) -> ModelSpec:
        family = FAMILIES[self.family]
        guidance = self.guidance or family.guidance[0]
        return ModelSpec(
            name=name,
            description=self.description or f"{family.title} from {self.source}",
            default_steps=self.default_steps or family.default_steps,
            min_steps=self.min_steps,
            max_steps=self.max_steps,
            default_guidance_scale=self._guidance_scale(guidance),
            native_size=self.native_size,
            created=OPERATOR_CREATED,
            owned_by=self.owned_by,
            family=self.family,
            weights=PRETRAINED,
            source=self.source,
            guidance=guidance,
            license=self.license,
            open_license=self.open_license,
            sequence_length=self.sequence_length,
            inpainting=self.inpainting,
            min_side=self.min_side,
            max_side=self.max_side,
        )


def entry_fields(spec: ModelSpec) -> dict[str, Any]:
    """A model's catalogue fields, as an entry gives them (its source left out: where it lies is the
    reader's business), so a saved model keeps its defaults and licence."""
    fields = {name: getattr(spec, name) for name in Entry.model_fields if name != "source"}
    return fields


def checked_name(name: str, where: str) -> str:
    """A model's name: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or digit."""
    if not NAME.match(name):
        raise ModelUnavailable(
            f"{where}: {name!r} cannot name a model: use 1 to 64 letters, digits, '.', '_' or '-'"
        )
    return name


def entries_of(raw: Mapping[str, Any], where: str) -> list[ModelSpec]:
    """The operator's entries, name to fields; ModelUnavailable naming the entry and field that is wrong."""
    specs = []
    for name, fields in raw.items():
        checked_name(str(name), where)
        if not isinstance(fields, Mapping):
            raise ModelUnavailable(f"{where}: model {name!r} must be a table of fields")
        try:
            specs.append(Entry.model_validate(dict(fields)).spec(str(name)))
        except ValidationError as error:
            problem = error.errors()[0]
            field = ".".join(str(part) for part in problem["loc"]) or "entry"
            raise ModelUnavailable(f"{where}: model {name!r}, {field}: {problem['msg']}") from None
    return specs


def is_folder(value: str) -> bool:
    """A served model named by its folder (`--model ./flux`, `/models/flux`), not by a catalogue name."""
    return "/" in value or "\\" in value or value.startswith((".", "~"))


def model_name(value: str) -> str:
    """The name a served value goes by: a folder's own name (never its path: a path is not for clients)."""
    return PurePath(value.rstrip("/\\")).name if is_folder(value) else value


class Catalogue(Mapping[str, ModelSpec]):
    """Model names to their specs: the built-ins, then the operator's entries (an entry of a built-in's
    name replaces it)."""

    def __init__(self, specs: Iterable[ModelSpec] = BUILT_IN) -> None:
        self._specs: dict[str, ModelSpec] = {spec.name: spec for spec in specs}

    def __getitem__(self, name: str) -> ModelSpec:
        return self._specs[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._specs)

    def __len__(self) -> int:
        return len(self._specs)

    def plus(self, specs: Iterable[ModelSpec]) -> "Catalogue":
        return Catalogue([*self._specs.values(), *specs])

    def spec(self, name: str) -> ModelSpec:
        """The model of that name; ModelUnavailable naming the known ones when there is none."""
        try:
            return self._specs[name]
        except KeyError:
            raise ModelUnavailable(f"unknown model {name!r}; known models: {', '.join(self)}") from None
