"""What the native API answers with beside the Image and the Job (sfumato/http/objects.py): lists, deletions,
the error envelope and event streams as /openapi.json documents them, and the imagine request."""

from collections.abc import Callable, Sequence
from typing import Annotated, Any, Generic, Literal, Self, TypeVar

from fastapi import Query
from pydantic import BaseModel, Field, field_validator

from sfumato.domain.errors import MissingParameter
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.inputs import InputSummary
from sfumato.domain.loras import Adapter
from sfumato.domain.models import ModelSpec
from sfumato.domain.pages import Page
from sfumato.domain.params import JobParams
from sfumato.domain.rules import NAME_SCHEMA

T = TypeVar("T")


class ListPublic(BaseModel, Generic[T]):
    object: Literal["list"] = "list"
    data: list[T]
    has_more: bool
    next_cursor: str | None

    @classmethod
    def of(cls, page: Page[Any], shown: Callable[[Any], T]) -> Self:
        """A page of records as a list answer, each record as `shown` shows it."""
        return cls(
            data=[shown(item) for item in page.items], has_more=page.has_more, next_cursor=page.next_cursor
        )


# A list's page size, as every list route takes it.
Limit = Annotated[int, Query(ge=1, le=100, description="how many, at most 100")]


class Deleted(BaseModel):
    id: str
    object: str
    deleted: Literal[True] = True


class ImagineRequest(GenerationRequest):
    """The imagine style's body: `prompt` required, and `name` unless `image` is one of the key's images
    (whose name it keeps, docs/api.md §11); one image (use POST /v1/jobs for n > 1)."""

    name: str | None = Field(
        None,
        description="a label for the image, up to 200 characters; required unless `image` is one of this "
        "key's images, whose name it then keeps",
        json_schema_extra=NAME_SCHEMA,
    )
    n: int = Field(1, description="always 1 here")

    def resolve(
        self,
        spec: ModelSpec,
        seed: int,
        source: InputSummary | None = None,
        adapters: Sequence[Adapter] = (),
    ) -> JobParams:
        # Only once the input is read is it known whether it is one of the key's images, with a name.
        if self.name is None and (source is None or source.source_name is None):
            raise MissingParameter("name is required", param="name")
        return super().resolve(spec, seed, source, adapters)

    @field_validator("n")
    @classmethod
    def _one(cls, value: int) -> int:
        if value != 1:
            raise ValueError("imagine makes one image; use POST /v1/jobs for n > 1")
        return value


class ErrorBody(BaseModel):
    message: str
    type: str
    param: str | None
    code: str


class ErrorEnvelope(BaseModel):
    error: ErrorBody


# A `text/event-stream` answer is documented event by event, as an EventSource parses it: its `data` is a
# JSON document, as a string. The schema is OpenAPI 3.2's `itemSchema` (one event), never `schema`: FastAPI
# writes an `itemSchema` for an EventSourceResponse, and beside one, `schema` describes the whole stream.
SSE_EVENT: dict[str, Any] = {
    "type": "object",
    "description": "One Server-Sent Event",
    "required": ["data"],
    "properties": {
        "event": {"type": "string"},
        "data": {"type": "string", "description": "a JSON document"},
        "id": {"type": "string"},
        "retry": {"type": "integer", "minimum": 0},
    },
}
SSE_CONTENT: dict[str, Any] = {"text/event-stream": {"itemSchema": SSE_EVENT}}
