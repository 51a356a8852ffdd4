"""Signing in with an API key, and out."""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from sfumato.api.deps import authenticate, in_thread
from sfumato.domain.errors import AuthenticationFailed, RateLimited
from sfumato.web.pages import AnyPage, Form, sessions
from sfumato.web.retry import with_retry_after

router = APIRouter()


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/playground"


@router.get("/")
async def start(page: AnyPage) -> Response:
    return page.redirect("/playground" if page.key is not None else "/signin")


@router.get("/signin")
async def signin_form(page: AnyPage, next: str | None = None) -> Response:
    if page.key is not None:
        return page.redirect(_next(next))
    return page.render("signin.html", {"title": "Sign in", "next": _next(next)})


@router.post("/signin")
async def signin(page: AnyPage, form: Form) -> Response:
    address = page.request.client.host if page.request.client else "unknown"
    try:
        key = await in_thread(authenticate, page.services, form.get("api_key", "").strip(), address)
    except (AuthenticationFailed, RateLimited) as error:
        status = 429 if isinstance(error, RateLimited) else 401
        context = {"title": "Sign in", "next": _next(form.get("next")), "notice": error.message}
        return with_retry_after(
            page.render("signin.html", context | {"notice_kind": "error"}, status=status), error
        )
    return page.redirect(_next(form.get("next")), session=page.session.signed_in(key.id))


@router.post("/signout")
async def signout(page: AnyPage, _form: Form) -> Response:
    response = RedirectResponse("/signin", status_code=303)
    sessions(page.request).clear(response)
    return response
