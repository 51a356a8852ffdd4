"""Admin keys only (any other key gets 404): keys, and how the service stands."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from sfumato.api.deps import in_thread
from sfumato.api.schemas import iso_z
from sfumato.domain.errors import InvalidParameter, SfumatoError
from sfumato.domain.keys import ApiKey
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
    after: str | None,
    *,
    created: tuple[ApiKey, str] | None = None,
    notice: str = "",
    status: int = 200,
) -> Response:
    listed = await in_thread(page.services.keys.page, limit=50, after=after)
    context = {
        "title": "Keys",
        "keys": [_shown(key) for key in listed.items],
        "next_cursor": listed.next_cursor,
        "plans": list(page.services.settings.plans),
        "default_plan": page.services.settings.default_plan,
        "created": created[0] if created else None,
        "created_key": created[1] if created else None,
        "notice": notice,
        "notice_kind": "error" if notice else "",
    }
    return page.render("admin_keys.html", context, status=status, active="/admin/keys")


@router.get("/admin/keys")
async def keys(page: Admin, after: str | None = None) -> Response:
    return await _keys_page(page, after)


def _number(form: dict[str, str], name: str) -> int | None:
    text = form.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 9:
        raise InvalidParameter(f"{name} must be a whole number below a billion", param=name)
    return int(text)


@router.post("/admin/keys")
async def create_key(page: Admin, form: Form) -> Response:
    try:
        key, raw = await in_thread(
            page.services.keys.create,
            form.get("name", ""),
            plan=form.get("plan") or None,
            admin=bool(form.get("admin")),
            rpm=_number(form, "rpm"),
            monthly_images=_number(form, "monthly_images"),
        )
    except SfumatoError as error:
        return await _keys_page(page, None, notice=error.message, status=400)
    return await _keys_page(page, None, created=(key, raw))


@router.post("/admin/keys/{key_id}/revoke")
async def revoke(key_id: str, page: Admin, _form: Form) -> Response:
    await in_thread(page.services.keys.revoke, key_id)
    return page.redirect("/admin/keys")


@router.get("/admin/service")
async def service(page: Admin) -> Response:
    overview = await in_thread(page.services.status.overview)
    readiness = await in_thread(page.services.readiness)
    workers = [
        {**vars(worker), "last_seen": iso_z(worker.last_seen) if worker.last_seen else ""}
        for worker in overview.workers
    ]
    context = {
        "title": "Service",
        "model": page.services.settings.model,
        "counts": overview.counts,
        "images_per_second": overview.images_per_second,
        "workers": workers,
        "readiness": readiness,
        "queue": overview.queue,
    }
    return page.render("admin_service.html", context, active="/admin/service")
