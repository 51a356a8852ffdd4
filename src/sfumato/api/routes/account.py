"""A key's own standing (GET /v1/usage) and, for admin keys, every key (/v1/admin/keys)."""

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from sfumato.api.schemas import Limit, ListPublic
from sfumato.domain.errors import PermissionDenied
from sfumato.domain.keys import ApiKey
from sfumato.domain.rules import MAX_COUNT
from sfumato.http.access import CurrentKey
from sfumato.http.deps import KeysDep, UsageDep
from sfumato.http.objects import Timestamp
from sfumato.http.threads import in_thread
from sfumato.services.usage import Usage

router = APIRouter(tags=["account"])


class LimitsPublic(BaseModel):
    requests_per_minute: int = Field(description="generation requests a minute")
    reads_per_minute: int = Field(description="other requests a minute: polling, listing, content")
    monthly_images: int | None = Field(description="images a month (UTC); null: unlimited")
    max_images_per_request: int


class UsagePublic(BaseModel):
    object: Literal["usage"] = "usage"
    key_id: str
    plan: str
    limits: LimitsPublic
    month: str = Field(description='the quota month, UTC: "2026-11"')
    period_start: Timestamp
    period_end: Timestamp
    images_used: int
    images_left: int | None = Field(description="null: unlimited")
    requests_left_this_minute: int | None = Field(description="null: the counters cannot be read now")
    minute_resets_in: int | None = Field(description="seconds until the minute's count starts again")

    @classmethod
    def of(cls, key: ApiKey, usage: Usage) -> "UsagePublic":
        limits = usage.limits
        window = usage.window
        return cls(
            key_id=key.id,
            plan=limits.plan,
            limits=LimitsPublic(
                requests_per_minute=limits.requests_per_minute,
                reads_per_minute=limits.reads_per_minute,
                monthly_images=limits.monthly_images,
                max_images_per_request=limits.max_images_per_request,
            ),
            month=usage.month,
            period_start=usage.period_start,
            period_end=usage.period_end,
            images_used=usage.images_used,
            images_left=usage.images_left,
            requests_left_this_minute=max(0, window.remaining) if window else None,
            minute_resets_in=window.reset_seconds if window else None,
        )


@router.get("/v1/usage", response_model=UsagePublic)
async def get_usage(key: CurrentKey, usage: UsageDep) -> Any:
    """This key's plan, its limits, and what is used and left this month and this minute."""
    return UsagePublic.of(key, await in_thread(usage.report, key))


# Admin keys.


async def admin_key(key: CurrentKey) -> ApiKey:
    if not key.is_admin:
        raise PermissionDenied("this route needs an admin key (`sfumato keys create --admin`)")
    return key


AdminKey = Annotated[ApiKey, Depends(admin_key)]


class KeyPublic(BaseModel):
    id: str
    object: Literal["api_key"] = "api_key"
    name: str
    prefix: str = Field(description="the key's first characters, to recognise it; never the key")
    plan: str
    admin: bool
    rpm: int | None = Field(description="overrides the plan's generation requests a minute")
    monthly_images: int | None = Field(description="overrides the plan's images a month")
    created_at: Timestamp
    revoked_at: Timestamp | None

    @classmethod
    def of(cls, key: ApiKey) -> "KeyPublic":
        return cls(
            id=key.id,
            name=key.name,
            prefix=key.prefix,
            plan=key.plan,
            admin=key.is_admin,
            rpm=key.rpm,
            monthly_images=key.monthly_images,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class KeyCreated(KeyPublic):
    key: str = Field(description="the key itself: shown this once, never again")


class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)  # {"admin": "yes"} is not a yes

    name: str = Field(min_length=1, max_length=200)
    plan: str | None = Field(None, description="default: the server's default plan")
    admin: bool = False
    rpm: int | None = Field(None, ge=1, le=MAX_COUNT)
    monthly_images: int | None = Field(None, ge=0, le=MAX_COUNT)


class KeyChange(BaseModel):
    """Only the fields sent change; null clears an override (rpm, monthly_images)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str | None = Field(None, min_length=1, max_length=200)
    plan: str | None = None
    rpm: int | None = Field(None, ge=1, le=MAX_COUNT)
    monthly_images: int | None = Field(None, ge=0, le=MAX_COUNT)


@router.post("/v1/admin/keys", status_code=201, response_model=KeyCreated)
async def create_key(body: KeyCreate, _admin: AdminKey, keys: KeysDep) -> Any:
    """A new key, shown once in `key`."""
    key, raw = await in_thread(
        keys.create,
        body.name,
        plan=body.plan,
        admin=body.admin,
        rpm=body.rpm,
        monthly_images=body.monthly_images,
    )
    return KeyCreated(**KeyPublic.of(key).model_dump(), key=raw)


@router.get("/v1/admin/keys", response_model=ListPublic[KeyPublic])
async def list_keys(
    _admin: AdminKey,
    keys: KeysDep,
    limit: Limit = 20,
    after: str | None = None,
) -> Any:
    """Every key, revoked ones too, newest first."""
    return ListPublic[KeyPublic].of(await in_thread(keys.page, limit=limit, after=after), KeyPublic.of)


@router.get("/v1/admin/keys/{key_id}", response_model=KeyPublic)
async def get_key(key_id: str, _admin: AdminKey, keys: KeysDep) -> Any:
    return KeyPublic.of(await in_thread(keys.get, key_id))


@router.patch("/v1/admin/keys/{key_id}", response_model=KeyPublic)
async def change_key(key_id: str, body: KeyChange, _admin: AdminKey, keys: KeysDep) -> Any:
    """Change a key's plan, overrides or name; its next request runs under them."""
    terms = body.model_dump(exclude_unset=True)
    return KeyPublic.of(await in_thread(keys.change, key_id, terms))


@router.post("/v1/admin/keys/{key_id}/revoke", response_model=KeyPublic)
async def revoke_key(key_id: str, _admin: AdminKey, keys: KeysDep) -> Any:
    """Revoke a key: its very next request answers 401."""
    return KeyPublic.of(await in_thread(keys.revoke, key_id))


@router.delete("/v1/admin/keys/{key_id}", response_model=KeyPublic)
async def delete_key(key_id: str, _admin: AdminKey, keys: KeysDep) -> Any:
    """The same as revoke: a key's jobs and images outlive it, so its row stays, revoked."""
    return KeyPublic.of(await in_thread(keys.revoke, key_id))
