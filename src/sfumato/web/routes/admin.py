"""Admin keys only (any other key gets 404): keys, and how the service stands."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sfumato.domain.errors import SfumatoError
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import PlanBook
from sfumato.domain.rules import MAX_COUNT
from sfumato.http.deps import CredentialsDep, KeysDep, PlansDep, ReadinessDep, SettingsDep, StatusDep
from sfumato.http.objects import iso_z
from sfumato.http.threads import in_thread
from sfumato.services.keys import KeyService
from sfumato.services.status import workers_shown
from sfumato.web.forms import whole_number
from sfumato.web.pages import Admin, Form, Page

router = APIRouter()


def _shown(key: ApiKey) -> dict[str, Any]:
    return {
        **vars(key),
        "created_at": iso_z(key.created_at),
        "revoked_at": iso_z(key.revoked_at) if key.revoked_at else None,
    }


async def _keys_page(
    page: Page,
    keys: KeyService,
    plans: PlanBook,
    after: str | None,
    *,
    created: tuple[ApiKey, str] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    listed = await in_thread(keys.page, limit=50, after=after)
    context = {
        "title": "Keys",
        "keys": [_shown(key) for key in listed.items],
        "next_cursor": listed.next_cursor,
        "plans": plans.names,
        "default_plan": plans.default,
        "created": created[0] if created else None,
        "created_key": created[1] if created else None,
        "errors": errors or {},
    }
    return page.render("admin_keys.html", context, status=status, active="/admin/keys")


@router.get("/admin/keys")
async def keys_page(page: Admin, keys: KeysDep, plans: PlansDep, after: str | None = None) -> Response:
    return await _keys_page(page, keys, plans, after)


@router.post("/admin/keys")
async def create_key(page: Admin, form: Form, keys: KeysDep, plans: PlansDep) -> Response:
    try:
        key, raw = await in_thread(
            keys.create,
            form.get("name", ""),
            plan=form.get("plan") or None,
            admin=bool(form.get("admin")),
            rpm=whole_number(form, "rpm", 1, MAX_COUNT),
            monthly_images=whole_number(form, "monthly_images", 0, MAX_COUNT),
        )
    except SfumatoError as error:
        errors = {error.param or "form": error.message}
        return await _keys_page(page, keys, plans, None, errors=errors, status=400)
    return await _keys_page(page, keys, plans, None, created=(key, raw))


@router.post("/admin/keys/{key_id}/revoke")
async def revoke(key_id: str, page: Admin, form: Form, keys: KeysDep) -> Response:
    """Revoke a key; the key this session signed in with only once confirmed, and then the session ends."""
    assert page.key is not None
    own = key_id == page.key.id
    if own and form.get("confirm") != "yes":
        context = {"title": "Revoke your own key?", "key": _shown(page.key)}
        return page.render("confirm_revoke.html", context, active="/admin/keys")
    await in_thread(keys.revoke, key_id)
    if own:  # its session ended with it: the next page is the sign-in, saying why
        response = page.redirect("/signin?done=own-key-revoked")
        page.sessions.clear(page.request, response)
        return response
    return page.redirect("/admin/keys?done=revoked")


@router.get("/admin/service")
async def service(
    page: Admin,
    status: StatusDep,
    readiness: ReadinessDep,
    settings: SettingsDep,
    credentials: CredentialsDep,
) -> Response:
    overview = await in_thread(status.overview)
    checks = await in_thread(readiness.checks)
    workers = [
        {**vars(worker), "last_seen": iso_z(worker.last_seen) if worker.last_seen else ""}
        for worker in workers_shown(overview)
    ]
    context = {
        "title": "Service",
        "model": settings.model,
        "counts": overview.counts,
        "images_per_second": overview.images_per_second,
        "workers": workers,
        "readiness": checks,
        "credentials": credentials.state,
        "queue": overview.queue,
    }
    return page.render("admin_service.html", context, active="/admin/service")
