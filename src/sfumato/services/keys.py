"""API keys: created by the operator, stored as hashes, checked on every request (API.md §3)."""

import hashlib
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from sfumato.db.database import Database
from sfumato.db.tables import ApiKey
from sfumato.domain.clock import Clock
from sfumato.domain.errors import AuthenticationFailed, InvalidParameter, NotFound
from sfumato.domain.ids import new_api_key, new_id
from sfumato.domain.plans import Plan
from sfumato.services.pagination import Page, paginate

PREFIX_CHARS = 8


def hash_key(raw: str) -> str:
    # Keys carry 256 random bits, so a plain hash cannot be brute-forced; no slow KDF is needed.
    return hashlib.sha256(raw.encode()).hexdigest()


class KeyService:
    def __init__(self, db: Database, clock: Clock, *, plans: Mapping[str, Plan], default_plan: str) -> None:
        self.db = db
        self.clock = clock
        self.plans = plans
        self.default_plan = default_plan

    def _check_terms(self, plan: str | None, rpm: int | None, monthly_images: int | None) -> None:
        if plan is not None and plan not in self.plans:
            raise InvalidParameter(f"plan must be one of {', '.join(self.plans)}", param="plan")
        if rpm is not None and rpm < 1:
            raise InvalidParameter("rpm must be at least 1", param="rpm")
        if monthly_images is not None and monthly_images < 0:
            raise InvalidParameter("monthly_images must be 0 or more", param="monthly_images")

    def create(
        self,
        name: str,
        *,
        plan: str | None = None,
        admin: bool = False,
        rpm: int | None = None,
        monthly_images: int | None = None,
    ) -> tuple[ApiKey, str]:
        """The stored key and its plaintext, which is never kept and cannot be shown again."""
        if not name.strip() or len(name) > 200:
            raise InvalidParameter("name must be 1 to 200 characters", param="name")
        plan = plan or self.default_plan
        self._check_terms(plan, rpm, monthly_images)
        raw = new_api_key()
        key = ApiKey(
            id=new_id("key"),
            name=name,
            key_hash=hash_key(raw),
            prefix=raw[:PREFIX_CHARS],
            plan=plan,
            is_admin=admin,
            rpm=rpm,
            monthly_images=monthly_images,
            created_at=self.clock.now(),
        )
        with self.db.write() as session:
            session.add(key)
        return key, raw

    def list_keys(self) -> list[ApiKey]:
        with self.db.read() as session:
            return list(session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)))

    def page(self, *, limit: int, after: str | None) -> Page[ApiKey]:
        """Every key, revoked ones too, newest first (the admin API)."""
        with self.db.read() as session:
            return paginate(session, select(ApiKey), ApiKey, limit=limit, after=after)

    def get(self, key_id: str) -> ApiKey:
        with self.db.read() as session:
            key = session.get(ApiKey, key_id)
        if key is None:
            raise NotFound(f"no key {key_id!r}")
        return key

    def change(self, key_id: str, terms: Mapping[str, Any]) -> ApiKey:
        """Change a key's plan or overrides; `terms` holds only what changes (None clears an override).
        The next request of that key runs under the new terms."""
        unknown = set(terms) - {"plan", "rpm", "monthly_images", "name"}
        if unknown:
            raise InvalidParameter(f"cannot change {', '.join(sorted(unknown))}", param=min(unknown))
        if "plan" in terms and terms["plan"] is None:
            raise InvalidParameter("plan cannot be null", param="plan")
        if "name" in terms and (not terms["name"] or not terms["name"].strip() or len(terms["name"]) > 200):
            raise InvalidParameter("name must be 1 to 200 characters", param="name")
        self._check_terms(terms.get("plan"), terms.get("rpm"), terms.get("monthly_images"))
        with self.db.write() as session:
            if terms:
                session.execute(update(ApiKey).where(ApiKey.id == key_id).values(**terms))
            key = session.get(ApiKey, key_id)
        if key is None:
            raise NotFound(f"no key {key_id!r}")
        return key

    def revoke(self, key_id: str) -> ApiKey:
        with self.db.write() as session:
            session.execute(
                update(ApiKey)
                .where(ApiKey.id == key_id, ApiKey.revoked_at.is_(None))
                .values(revoked_at=self.clock.now())
            )
            key = session.get(ApiKey, key_id)
        if key is None:
            raise NotFound(f"no key {key_id!r}")
        return key

    def authenticate(self, raw: str | None) -> ApiKey:
        if not raw:
            raise AuthenticationFailed(
                "no API key: send it as `x-api-key: KEY` or `Authorization: Bearer KEY`"
            )
        with self.db.read() as session:
            key = session.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(raw)))
        if key is None or key.revoked_at is not None:
            raise AuthenticationFailed("invalid API key")
        return key
