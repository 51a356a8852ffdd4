"""What every dashboard page shares: the session and the signed-in key, the CSRF check of every form, the
templates, and errors shown as pages."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from sfumato.domain import text
from sfumato.domain.errors import NotFound, SfumatoError
from sfumato.domain.keys import ApiKey
from sfumato.http.access import session_key
from sfumato.http.deps import base_url_of
from sfumato.http.errors import status_of
from sfumato.http.session import Session, Sessions, new_session
from sfumato.web.notices import notice_of
from sfumato.web.retry import with_retry_after
from sfumato.web.times import when

NAV = [
    ("/studio", "Studio"),
    ("/gallery", "Gallery"),
    ("/loras", "LoRAs"),
    ("/jobs", "Jobs"),
    ("/usage", "Usage"),
    ("/webhooks", "Webhooks"),
    ("/docs", "API reference"),
]
ADMIN_NAV = [("/admin/keys", "Keys"), ("/admin/service", "Service")]


@cache
def templates() -> Jinja2Templates:
    made = Jinja2Templates(directory=Path(__file__).parent / "templates")  # autoescapes .html
    made.env.filters["when"] = when
    return made


class SignInNeeded(Exception):
    """A page for signed-in people, asked without a session (or with an ended one)."""


class FormRefused(Exception):
    """A form posted without its CSRF token, or with another session's."""


@dataclass
class Page:
    """A request to the dashboard: its session (new if it had none), and the key signed in."""

    request: Request
    session: Session
    fresh: bool  # the session was made for this request: its cookie goes out with the answer
    key: ApiKey | None = None

    @property
    def viewer(self) -> "Page | None":
        return self if self.key is not None else None

    @property
    def sessions(self) -> Sessions:
        sessions: Sessions = self.request.app.state.root.sessions
        return sessions

    def render(
        self, template: str, context: Mapping[str, Any], *, status: int = 200, active: str = ""
    ) -> Response:
        nav = NAV + (ADMIN_NAV if self.key is not None and self.key.is_admin else [])
        done = notice_of(self.request.query_params.get("done"))  # after an action: what it did
        values = {"viewer": self.viewer, "csrf": self.session.csrf, "nav": nav, "active": active}
        values |= ({"notice": done, "notice_kind": "ok"} if done else {}) | dict(context)
        response = templates().TemplateResponse(self.request, template, values, status_code=status)
        response.headers["Cache-Control"] = "no-store"  # pages hold a key's work: never in a shared cache
        if self.fresh:
            self.sessions.write(self.request, response, self.session)
        return response

    def redirect(self, to: str, session: Session | None = None) -> RedirectResponse:
        response = RedirectResponse(to, status_code=303)
        if session is not None or self.fresh:
            self.sessions.write(self.request, response, session or self.session)
        return response

    @property
    def base_url(self) -> str:
        return base_url_of(self.request)


async def any_page(request: Request) -> Page:
    found = request.app.state.root.sessions.read(request)
    key = await session_key(request) if found is not None else None
    return Page(request, found or new_session(), fresh=found is None, key=key)


async def signed_in(page: Annotated[Page, Depends(any_page)]) -> Page:
    if page.key is None:
        raise SignInNeeded()
    return page


async def admin(page: Annotated[Page, Depends(signed_in)]) -> Page:
    if page.key is None or not page.key.is_admin:
        raise NotFound("no such page")  # admin pages do not exist for other keys
    return page


async def form_of(request: Request, page: Annotated[Page, Depends(any_page)]) -> dict[str, str]:
    """A posted form's fields, once its CSRF token has been checked against the session's."""
    form = await request.form(max_files=0, max_fields=64)
    fields = {name: value for name, value in form.items() if isinstance(value, str)}
    if page.fresh or not page.session.valid(fields.get("csrf_token")):
        raise FormRefused()
    text.check(fields, "the form")  # a NUL, which no database column holds, is refused before any use
    return fields


AnyPage = Annotated[Page, Depends(any_page)]
SignedIn = Annotated[Page, Depends(signed_in)]
Admin = Annotated[Page, Depends(admin)]
Form = Annotated[dict[str, str], Depends(form_of)]


async def page_errors(request: Request, error: Exception) -> Response:
    """An error on a page, as a page (http/errors.py asks this of requests the dashboard answers)."""
    if isinstance(error, SignInNeeded):
        return RedirectResponse(f"/signin?next={quote(request.url.path)}", status_code=303)
    session = request.app.state.root.sessions.read(request)
    page = Page(request, session or new_session(), fresh=False)
    page.key = await session_key(request, count=False) if session is not None else None
    if isinstance(error, FormRefused):
        title, message, status = (
            "Form refused",
            "This form had expired or did not come from this page: try again.",
            403,
        )
    elif isinstance(error, SfumatoError):
        status = status_of(error)[0]
        title, message = {404: "Not found", 429: "Slow down"}.get(status, "That did not work"), error.message
        return with_retry_after(
            page.render("error.html", {"title": title, "message": message}, status=status), error
        )
    else:
        title, message, status = "Something went wrong", "The server could not answer this page.", 500
    return page.render("error.html", {"title": title, "message": message}, status=status)
