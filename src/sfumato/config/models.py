"""What is served: the default model, several models in one process (docs/models.md, "Several models at
once"), the memory they may hold together, and the operator's catalogue entries."""

from typing import Any

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX
from sfumato.domain.catalogue import model_name


class ModelSettings(BaseSettings):
    model_config = PREFIX

    model: str = Field(
        "sdxl-lightning",
        description="the default model: a name from `sfumato models list` or a local diffusers folder "
        "(docs/models.md); with `SFUMATO_MODELS`, the first of them unless this is set",
    )
    models: str = Field(
        "",
        description="the models this process serves, comma-separated: catalogue names or local diffusers "
        "folders (`--model` given several times); the first is the default; empty: `SFUMATO_MODEL` alone",
    )
    model_memory: str = Field(
        "",
        pattern=r"^(\d+(\.\d+)?\s*([KMGT]i?B?|B)?)?$",
        description="how much memory the models held at once may take (`24GiB`, `512MiB`, or bytes); past "
        "it the least recently used model is unloaded; empty: the device's (a GPU's memory, else the "
        "machine's)",
    )
    model_switch_seconds: float = Field(
        60.0,
        ge=0,
        description="holding several models: how long another model's oldest queued job may wait while a "
        'resident model has work before a worker loads it (docs/models.md, "Several models at once")',
    )
    catalogue_file: str = Field(
        "",
        description="a TOML file of more catalogue entries, one `[models.NAME]` table each (`family`, "
        "`source`, steps, guidance, sizes, `license`: docs/models.md)",
    )
    catalogue: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="more catalogue entries as JSON, name to fields, as the file's tables",
        json_schema_extra={"shown": ""},
    )

    openai_models: dict[str, str] = Field(
        default_factory=dict,
        description="JSON: OpenAI's model names (or patterns: `gpt-image-*`) mapped to catalogue models, for "
        "OpenAI's routes (docs/clients.md); names not mapped here (`dall-e-2`, `dall-e-3`, `gpt-image-*`, "
        "`chatgpt-image-*`) get the default model",
        json_schema_extra={"shown": ""},
    )

    @model_validator(mode="after")
    def _served(self) -> "ModelSettings":
        """`models` becomes every served value, the default first; `model` the default's name."""
        self.models, self.model = served(self.model, self.models, "model" in self.model_fields_set)
        return self


def served(model: str, models: str, model_given: bool) -> tuple[str, str]:
    """`models` as served (every value, comma-separated, the default first) and the default's name.

    `SFUMATO_MODELS` lists them; `SFUMATO_MODEL` alone is one; both: the model named by SFUMATO_MODEL is the
    default, served whether or not the list has it."""
    values = [value.strip() for value in models.split(",") if value.strip()]
    if not values:
        values = [model]
    elif model_given and model_name(model) not in [model_name(value) for value in values]:
        values.insert(0, model)
    default = model if model_given else values[0]
    values.sort(key=lambda value: model_name(value) != model_name(default))
    return ",".join(values), model_name(default)
