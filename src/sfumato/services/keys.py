"""API keys: created by the operator, stored as hashes, checked on every request (docs/api.md §3).

A key found is remembered for LOOKUP_SECONDS, so that a client polling many times a second costs one
database read a second, not one a request. A revocation or a change of terms made through this process
forgets the key at once (its very next request sees it); one made by another process (another API
process, `sfumato keys revoke`) is seen within LOOKUP_SECONDS.
"""

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

from sfumato.db.keys import KeyStore
from sfumato.domain import text
from sfumato.domain.clock import Clock
from sfumato.domain.errors import AuthenticationFailed, InvalidParameter, NotFound
from sfumato.domain.fairness import PRIORITIES
from sfumato.domain.ids import new_api_key, new_id, new_webhook_secret
from sfumato.domain.keys import PREFIX_CHARS, ApiKey, hash_key
from sfumato.domain.pages import Page
from sfumato.domain.plans import Plan
from sfumato.domain.rules import MAX_COUNT

LOOKUP_SECONDS = 1.0
LOOKUPS_KEPT = 10_000  # distinct keys remembered at once; past it, the oldest lookups go first


class KeyService:
    def __init__(
        self,
        store: KeyStore,
        clock: Clock,
        *,
        plans: Mapping[str, Plan],
        default_plan: str,
        lookup_seconds: float = LOOKUP_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.clock = clock
        self.plans = plans
        self.default_plan = default_plan
        self.lookup_seconds = lookup_seconds
        self._monotonic = monotonic
        self._found: dict[str, tuple[ApiKey, float]] = {}  # key hash -> (key, when it was read); oldest first
        self._lock = threading.Lock()  # requests authenticate in many threads at once
        self._forgotten = 0  # how many times a key was forgotten: a read begun before is not remembered

    def _check_terms(
        self,
        plan: str | None,
        rpm: int | None,
        monthly_images: int | None,
        max_queued: int | None = None,
        max_priority: str | None = None,
    ) -> None:
        if max_queued is not None and not 1 <= max_queued <= MAX_COUNT:
            raise InvalidParameter(f"max_queued must be 1 to {MAX_COUNT}", param="max_queued")
        if max_priority is not None and max_priority not in PRIORITIES:
            raise InvalidParameter(
                f"max_priority must be one of {', '.join(PRIORITIES)}", param="max_priority"
            )
        if plan is not None and plan not in self.plans:
            raise InvalidParameter(f"plan must be one of {', '.join(self.plans)}", param="plan")
        if rpm is not None and not 1 <= rpm <= MAX_COUNT:
            raise InvalidParameter(f"rpm must be 1 to {MAX_COUNT}", param="rpm")
        if monthly_images is not None and not 0 <= monthly_images <= MAX_COUNT:
            raise InvalidParameter(f"monthly_images must be 0 to {MAX_COUNT}", param="monthly_images")

    def create(
        self,
        name: str,
        *,
        plan: str | None = None,
        admin: bool = False,
        rpm: int | None = None,
        monthly_images: int | None = None,
        max_queued: int | None = None,
        max_priority: str | None = None,
    ) -> tuple[ApiKey, str]:
        """The stored key and its plaintext, which is never kept and cannot be shown again."""
        if not name.strip() or len(name) > 200:
            raise InvalidParameter("name must be 1 to 200 characters", param="name")
        text.check({"name": name})
        plan = plan or self.default_plan
        self._check_terms(plan, rpm, monthly_images, max_queued, max_priority)
        raw = new_api_key()
        key = ApiKey(
            id=new_id("key"),
            name=name,
            prefix=raw[:PREFIX_CHARS],
            plan=plan,
            is_admin=admin,
            rpm=rpm,
            monthly_images=monthly_images,
            created_at=self.clock.now(),
            revoked_at=None,
            webhook_secret=new_webhook_secret(),
            max_queued=max_queued,
            max_priority=max_priority,
        )
        self.store.insert(key, hash_key(raw))
        return key, raw

    def list_keys(self) -> list[ApiKey]:
        return self.store.all()

    def page(self, *, limit: int, after: str | None) -> Page[ApiKey]:
        """Every key, revoked ones too, newest first (the admin API)."""
        return self.store.page(limit=limit, after=after)

    def get(self, key_id: str) -> ApiKey:
        return _found(self.store.get(key_id), key_id)

    def change(self, key_id: str, terms: Mapping[str, Any]) -> ApiKey:
        """Change a key's plan or overrides; `terms` holds only what changes (None clears an override).
        The next request of that key runs under the new terms."""
        unknown = set(terms) - {"plan", "rpm", "monthly_images", "max_queued", "max_priority", "name"}
        if unknown:
            raise InvalidParameter(f"cannot change {', '.join(sorted(unknown))}", param=min(unknown))
        if "plan" in terms and terms["plan"] is None:
            raise InvalidParameter("plan cannot be null", param="plan")
        if "name" in terms and (not terms["name"] or not terms["name"].strip() or len(terms["name"]) > 200):
            raise InvalidParameter("name must be 1 to 200 characters", param="name")
        text.check({"name": terms.get("name") or ""})
        self._check_terms(
            terms.get("plan"),
            terms.get("rpm"),
            terms.get("monthly_images"),
            terms.get("max_queued"),
            terms.get("max_priority"),
        )
        changed = self.store.change(key_id, terms)
        self._forget(key_id)
        return _found(changed, key_id)

    def revoke(self, key_id: str) -> ApiKey:
        revoked = self.store.revoke(key_id, self.clock.now())
        self._forget(key_id)
        return _found(revoked, key_id)

    def authenticate(self, raw: str | None) -> ApiKey:
        if not raw:
            raise AuthenticationFailed(
                "no API key: send it as `x-api-key: KEY` or `Authorization: Bearer KEY`"
            )
        key = self._lookup(hash_key(raw))
        if key is None or key.revoked:
            raise AuthenticationFailed("invalid API key")
        return key

    def remembered(self, raw: str | None) -> ApiKey | None:
        """The valid key of `raw` if it was read less than `lookup_seconds` ago, without reading it: no
        database, so a caller on the event loop may ask. None otherwise (then `authenticate`)."""
        if not raw:
            return None
        key = self._fresh(hash_key(raw), self._monotonic())
        return None if key is None or key.revoked else key

    def _fresh(self, digest: str, now: float) -> ApiKey | None:
        """The key of this hash if it was read less than `lookup_seconds` before `now`."""
        with self._lock:
            found = self._found.get(digest)
        return found[0] if found is not None and now - found[1] < self.lookup_seconds else None

    def _lookup(self, digest: str) -> ApiKey | None:
        """The key of this hash, read at most LOOKUP_SECONDS ago. A hash that matches no key is not
        remembered: each wrong key is read, and counted as a guess (api.deps)."""
        now = self._monotonic()
        with self._lock:
            forgotten = self._forgotten
        if (key := self._fresh(digest, now)) is not None:
            return key
        key = self.store.by_hash(digest)
        with self._lock:
            self._found.pop(digest, None)
            if key is not None and forgotten == self._forgotten:  # no change made meanwhile
                while len(self._found) >= LOOKUPS_KEPT:
                    del self._found[next(iter(self._found))]
                self._found[digest] = (key, now)
        return key

    def _forget(self, key_id: str) -> None:
        with self._lock:
            self._forgotten += 1
            for digest in [digest for digest, (key, _) in self._found.items() if key.id == key_id]:
                del self._found[digest]


def _found(key: ApiKey | None, key_id: str) -> ApiKey:
    if key is None:
        raise NotFound(f"no key {key_id!r}")
    return key
