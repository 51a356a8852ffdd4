"""The dashboard's session: a signed, HttpOnly, SameSite=Strict cookie holding the key's id (never the key
itself) and a CSRF token. itsdangerous signs it with the service's session secret, so any API process reads
any other's; a session is checked against the key on every request, so a revoked key's session ends at its
next one."""

import hmac
import secrets
from dataclasses import dataclass, replace

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.requests import HTTPConnection
from starlette.responses import Response

COOKIE = "sfumato_session"
MAX_AGE = 12 * 3600  # seconds a session lasts without signing in again


@dataclass(frozen=True)
class Session:
    csrf: str
    key_id: str | None = None

    def signed_in(self, key_id: str) -> "Session":
        # A new token at sign-in: a token seen before it (a shared computer) is worth nothing after.
        return replace(self, key_id=key_id, csrf=secrets.token_urlsafe(24))

    def valid(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")


class Sessions:
    def __init__(self, secret: str, *, secure: bool = False) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="sfumato.session")
        self.secure = secure

    def read(self, connection: HTTPConnection) -> Session | None:
        raw = connection.cookies.get(COOKIE)
        if not raw:
            return None
        try:
            data = self.serializer.loads(raw, max_age=MAX_AGE)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("c"), str):
            return None
        key_id = data.get("k")
        return Session(csrf=data["c"], key_id=key_id if isinstance(key_id, str) else None)

    def write(self, response: Response, session: Session) -> None:
        value = self.serializer.dumps({"c": session.csrf, "k": session.key_id})
        response.set_cookie(
            COOKIE, value, max_age=MAX_AGE, httponly=True, samesite="strict", secure=self.secure, path="/"
        )

    def clear(self, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=self.secure)


def new_session() -> Session:
    return Session(csrf=secrets.token_urlsafe(24))
