"""Puts the dashboard on an app: its pages, its static files, and errors on pages shown as pages."""

from pathlib import Path

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.staticfiles import StaticFiles

from sfumato.api.errors import PAGE
from sfumato.web.pages import FormRefused, SignInNeeded, page_error, session_key
from sfumato.web.routes import account, admin, auth, docs, gallery, playground


async def mark_page(request: Request) -> None:
    request.scope[PAGE] = True


def install(app: FastAPI) -> None:
    pages = APIRouter(include_in_schema=False, dependencies=[Depends(mark_page)])
    for module in (auth, playground, gallery, account, admin):
        pages.include_router(module.router)
    app.include_router(pages)
    app.include_router(docs.router)
    static = StaticFiles(directory=Path(__file__).parent / "static")
    app.mount("/static", static, name="static")
    app.state.page_errors = page_error
    app.state.session_key = session_key
    app.add_exception_handler(SignInNeeded, page_error)
    app.add_exception_handler(FormRefused, page_error)
