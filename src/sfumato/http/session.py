"""The dashboard's session cookie: signed, HttpOnly, SameSite=Strict, holding a CSRF token and, once signed
in, the session's id and its key's id (never the key itself). itsdangerous signs it with the service's
session secret, so any API process reads any other's. The cookie alone proves nothing: a signed-in session
is live only while its row is (services/access.py), so signing out, or revoking the key, ends every copy of
the cookie at its next request. `Secure` follows each request's own scheme."""

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
    id: str | None = None  # the signed-in session's row (services/access.py)

    def signed_in(self, key_id: str, session_id: str) -> "Session":
        # A new token at sign-in: a token seen before it (a shared computer) is worth nothing after.
        return replace(self, key_id=key_id, id=session_id, csrf=secrets.token_urlsafe(24))

    def valid(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(self.csrf, token or "")


class Sessions:
    def __init__(self, secret: str) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="sfumato.session")

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
        key_id, session_id = data.get("k"), data.get("s")
        if not isinstance(key_id, str) or not isinstance(session_id, str):
            key_id = session_id = None  # signed in only with both (a cookie of before sessions had rows)
        return Session(csrf=data["c"], key_id=key_id, id=session_id)

    def write(self, connection: HTTPConnection, response: Response, session: Session) -> None:
        value = self.serializer.dumps({"c": session.csrf, "k": session.key_id, "s": session.id})
        response.set_cookie(
            COOKIE,
            value,
            max_age=MAX_AGE,
            httponly=True,
            samesite="strict",
            secure=_secure(connection),
            path="/",
        )

    def clear(self, connection: HTTPConnection, response: Response) -> None:
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict", secure=_secure(connection))


def _secure(connection: HTTPConnection) -> bool:
    """`Secure` when this request came over HTTPS (behind a proxy: as the forwarded scheme says)."""
    return connection.url.scheme == "https"


def new_session() -> Session:
    return Session(csrf=secrets.token_urlsafe(24))
