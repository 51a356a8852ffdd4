"""Puts the dashboard on an app: its pages and its static files; its errors show as pages (`page_errors`,
which the app hands to the kernel's error handlers)."""

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles

from sfumato.http.errors import PAGE
from sfumato.web.pages import FormRefused, SignInNeeded, page_errors
from sfumato.web.routes import account, admin, auth, docs, gallery, jobs, loras, studio, studio_json

__all__ = ["install", "page_errors"]

# A new page is a route in one of these modules, or a new module and one line here (docs/extending.md).
PAGES = (auth, studio, studio_json, jobs, gallery, loras, account, admin)


async def mark_page(request: Request) -> None:
    request.scope[PAGE] = True


def install(app: FastAPI) -> None:
    pages = APIRouter(include_in_schema=False, dependencies=[Depends(mark_page)])
    for module in PAGES:
        pages.include_router(module.router)
    app.include_router(pages)
    app.include_router(docs.router)
    static = StaticFiles(directory=Path(__file__).parent / "static")
    app.mount("/static", static, name="static")
    app.add_exception_handler(SignInNeeded, page_errors)
    app.add_exception_handler(FormRefused, page_errors)
