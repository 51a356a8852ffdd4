"""The rules every dialect shares (docs/api.md §5): prompts, seeds and image counts, as types a schema
can use, and how a validation message reads."""

from typing import Annotated

from pydantic import AfterValidator, Field, JsonValue

MAX_PROMPT = 1000
MAX_NAME = 200
MAX_SEED = 2**31 - 1
MAX_COUNT = 2**31 - 1  # a key's rpm and monthly images: what the database's integer columns hold
MAX_IMAGES = 10
DEFAULT_SIZE = 1024
DEFAULT_NAME = "untitled"


def plain_message(message: str) -> str:
    """A validation message as a person reads it: pydantic prefixes a validator's own words with
    "Value error, "."""
    return message.removeprefix("Value error, ")


def check_prompt(value: str) -> str:
    if not value.strip():
        raise ValueError("prompt must not be empty")
    if len(value) > MAX_PROMPT:
        raise ValueError(f"prompt must be at most {MAX_PROMPT} characters (got {len(value)})")
    return value


def check_seed(value: int | None) -> int | None:
    if value is not None and not 0 <= value <= MAX_SEED:
        raise ValueError(f"seed must be between 0 and {MAX_SEED}")
    return value


def check_images(value: int) -> int:
    if not 1 <= value <= MAX_IMAGES:
        raise ValueError(f"n must be between 1 and {MAX_IMAGES}")
    return value


# What a prompt and a name must be, as /openapi.json says it (JSON Schema; the validators above hold it).
PROMPT_SCHEMA: dict[str, JsonValue] = {"minLength": 1, "maxLength": MAX_PROMPT}
NAME_SCHEMA: dict[str, JsonValue] = {"minLength": 1, "maxLength": MAX_NAME}

# The rules every dialect shares, as types its schema can use.
Prompt = Annotated[str, AfterValidator(check_prompt), Field(json_schema_extra=PROMPT_SCHEMA)]
Seed = Annotated[int | None, AfterValidator(check_seed)]
ImageCount = Annotated[int, AfterValidator(check_images)]
