"""Signing in with an API key, and out."""

from fastapi import APIRouter
from fastapi.responses import RedirectResponse, Response

from sfumato.domain.errors import AuthenticationFailed, RateLimited
from sfumato.http.deps import AccessDep
from sfumato.http.threads import in_thread
from sfumato.web.pages import AnyPage, Form
from sfumato.web.retry import with_retry_after

router = APIRouter()


def _next(value: str | None) -> str:
    """Where to go after signing in: a path of this site only, never another site."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/studio"


@router.get("/")
async def start(page: AnyPage) -> Response:
    return page.redirect("/studio" if page.key is not None else "/signin")


@router.get("/signin")
async def signin_form(page: AnyPage, next: str | None = None) -> Response:
    if page.key is not None:
        return page.redirect(_next(next))
    return page.render("signin.html", {"title": "Sign in", "next": _next(next)})


@router.post("/signin")
async def signin(page: AnyPage, form: Form, access: AccessDep) -> Response:
    address = page.request.client.host if page.request.client else "unknown"
    try:
        key = await in_thread(access.authenticate, form.get("api_key", "").strip(), address)
    except (AuthenticationFailed, RateLimited) as error:
        status = 429 if isinstance(error, RateLimited) else 401
        context = {"title": "Sign in", "next": _next(form.get("next")), "notice": error.message}
        return with_retry_after(
            page.render("signin.html", context | {"notice_kind": "error"}, status=status), error
        )
    session_id = await in_thread(access.start_session, key)
    return page.redirect(_next(form.get("next")), session=page.session.signed_in(key.id, session_id))


@router.post("/signout")
async def signout(page: AnyPage, _form: Form, access: AccessDep) -> Response:
    """Ends the session itself, not only this browser's cookie: a copy of it opens nothing after."""
    if page.session.id is not None:
        await in_thread(access.end_session, page.session.id)
    response = RedirectResponse("/signin", status_code=303)
    page.sessions.clear(page.request, response)
    return response
