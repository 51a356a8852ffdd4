"""The secret that signs this key's webhooks (docs/api.md §7, §10)."""

from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from sfumato.http.access import CurrentKey

router = APIRouter(tags=["webhooks"])


class WebhookSecret(BaseModel):
    object: Literal["webhook_secret"] = "webhook_secret"
    secret: str = Field(description="whsec_…: verify `webhook-signature` with it (Standard Webhooks)")


@router.get("/v1/webhooks/secret", response_model=WebhookSecret)
async def secret(key: CurrentKey) -> WebhookSecret:
    return WebhookSecret(secret=key.webhook_secret)
