"""The interactive API reference at /docs: Swagger UI from the package, never from a CDN."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from sfumato.web.pages import templates

router = APIRouter()


@router.get("/docs", include_in_schema=False)
async def docs(request: Request) -> Response:
    return templates().TemplateResponse(request, "docs.html", {})
