"""Who a request acts as, and what it costs the key: the one place both edges (the API and the dashboard)
authenticate a presented key, count wrong keys against the address that sent them, and count a request
against its key's minute (docs/api.md §3, docs/plans.md)."""

import enum
from datetime import timedelta

from sfumato.db.sessions import SessionStore
from sfumato.domain.clock import Clock
from sfumato.domain.errors import AuthenticationFailed, NotFound
from sfumato.domain.ids import new_id
from sfumato.domain.keys import ApiKey
from sfumato.domain.plans import PlanBook, Window
from sfumato.services.keys import KeyService
from sfumato.services.limits import RateLimiter


class Access(enum.Enum):
    READ = "read"  # polling, listing, content: the plan's reads a minute
    GENERATE = "generate"  # makes images: the plan's generation requests a minute, with RateLimit-* headers


class AccessService:
    def __init__(
        self,
        keys: KeyService,
        limits: RateLimiter,
        plans: PlanBook,
        sessions: SessionStore,
        clock: Clock,
        *,
        session_seconds: float,
        anonymous_key_id: str = "",
    ) -> None:
        self.keys = keys
        self.limits = limits
        self.plans = plans
        self.sessions = sessions
        self.clock = clock
        self.session_lifetime = timedelta(seconds=session_seconds)  # the cookie's own lifetime
        self.anonymous_key_id = anonymous_key_id  # AUTOMATIC1111's requests without a key act as it

    def remembered(self, raw: str | None) -> ApiKey | None:
        """The key of `raw` if it was found a moment ago: no database, so the event loop may ask."""
        return self.keys.remembered(raw)

    @property
    def counts_in_memory(self) -> bool:
        """Whether counting a request costs no network round trip (no Redis): the event loop may count."""
        return not self.limits.remote

    def authenticate(self, raw: str | None, address: str) -> ApiKey:
        """The key of `raw`. A valid key is never refused for what others sent from its address (behind a
        proxy, every client may share one). Wrong keys are counted per client address (the real client's,
        from the forwarded headers of the proxies the operator lists); past the minute's allowance a wrong
        key from that address is answered 429, not 401, so guessing goes no faster than the allowance."""
        try:
            return self.keys.authenticate(raw)
        except AuthenticationFailed:
            if raw:  # a key was tried and was wrong: a guess
                self.limits.check_address(address)
                self.limits.failed_attempt(address)
            raise

    def anonymous(self) -> ApiKey:
        """The key AUTOMATIC1111's requests without one act as (SFUMATO_A1111_ANONYMOUS_KEY), if any."""
        if self.anonymous_key_id:
            key = self.key_by_id(self.anonymous_key_id)
            if key is not None:
                return key
        raise AuthenticationFailed(
            "no API key: send it as the password of HTTP Basic, as `x-api-key: KEY`, or as "
            "`Authorization: Bearer KEY`"
        )

    def key_by_id(self, key_id: str) -> ApiKey | None:
        """The key of this id while it may act (a session's, the anonymous one): None if revoked or gone."""
        try:
            key = self.keys.get(key_id)
        except NotFound:
            return None
        return None if key.revoked else key

    def start_session(self, key: ApiKey) -> str:
        """A new dashboard session for `key`: its id, which the cookie carries."""
        session_id = new_id("session")
        now = self.clock.now()
        self.sessions.start(session_id, key.id, now, expired_before=now - self.session_lifetime)
        return session_id

    def session_key(self, session_id: str, key_id: str) -> ApiKey | None:
        """The key of a dashboard session while the session lives and the key may act; else None."""
        key = self.sessions.key_of(session_id, key_id, started_after=self.clock.now() - self.session_lifetime)
        return None if key is None or key.revoked else key

    def end_session(self, session_id: str) -> None:
        """Sign out: every copy of the session's cookie opens nothing after this."""
        self.sessions.end(session_id)

    def count(self, key: ApiKey, access: Access) -> Window | None:
        """Count one request of `key` against its minute (RateLimited past it); the generation window."""
        limits = self.plans.limits_of(key)
        if access is Access.GENERATE:
            return self.limits.hit_generation(key.id, limits)
        self.limits.hit_read(key.id, limits)
        return None
