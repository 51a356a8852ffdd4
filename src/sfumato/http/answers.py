"""A pydantic answer sent as it is: its JSON written once by pydantic's serializer. A route that returns the
model itself has FastAPI validate it again against the route's `response_model` and encode it twice over,
which cost a poll a fifth of its time; the route keeps its `response_model` for /openapi.json."""

from collections.abc import Mapping

from fastapi.responses import Response
from pydantic import BaseModel


def answer(model: BaseModel, status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    return Response(model.model_dump_json(), status, headers=headers, media_type="application/json")
