"""The dashboard's session over plain HTTP, without a browser: the cookie's `Secure` follows each request's
scheme (http/session.py), and signing out ends the session itself, so a copy of its cookie taken before
opens nothing after (docs/dashboard.md)."""

import re

from fastapi.testclient import TestClient

from tests.conftest import Live

COOKIE = "sfumato_session"


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found.group(1)


def sign_in(client: TestClient, raw_key: str, scheme: str = "http") -> str:
    """Sign in as a browser does (the form, then its post); the Set-Cookie header of the sign-in."""
    form = client.get(f"{scheme}://testserver/signin")
    answer = client.post(
        f"{scheme}://testserver/signin",
        data={"api_key": raw_key, "csrf_token": csrf_of(form.text), "next": "/studio"},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["set-cookie"]


def fresh_client(live: Live) -> TestClient:
    """A browser of its own (its own cookie jar) on the same app."""
    return TestClient(live.client.app, raise_server_exceptions=False)


def test_the_cookie_is_secure_exactly_when_its_request_came_over_https(live: Live) -> None:
    raw = live.key("sessions")["x-api-key"]
    plain_first = fresh_client(live)
    assert "secure" not in sign_in(plain_first, raw, "http").lower()  # a plain-HTTP hit comes first
    secure_after = fresh_client(live)
    assert "; secure" in sign_in(secure_after, raw, "https").lower()  # and HTTPS still gets Secure
    plain_again = fresh_client(live)
    assert "secure" not in sign_in(plain_again, raw, "http").lower()  # and the other order holds too


def test_signing_out_ends_every_copy_of_the_session(live: Live) -> None:
    raw = live.key("signs out")["x-api-key"]
    browser = fresh_client(live)
    sign_in(browser, raw)
    copy = browser.cookies.get(COOKIE)
    assert copy
    page = browser.get("/webhooks")
    assert page.status_code == 200
    answer = browser.post("/signout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert answer.status_code == 303
    thief = fresh_client(live)
    thief.cookies.set(COOKIE, copy)  # the cookie as it was before signing out
    stolen = thief.get("/webhooks", follow_redirects=False)
    assert stolen.status_code == 303 and stolen.headers["location"].startswith("/signin")
    revealed = thief.post("/webhooks/reveal", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert revealed.status_code in (303, 403) and "whsec_" not in revealed.text


def test_revoking_the_key_ends_its_sessions(live: Live) -> None:
    raw = live.key("mine")["x-api-key"]
    browser = fresh_client(live)
    sign_in(browser, raw)
    assert browser.get("/webhooks", follow_redirects=False).status_code == 200
    live.services.keys.revoke(live.services.access.keys.authenticate(raw).id)
    assert browser.get("/webhooks", follow_redirects=False).status_code == 303  # revoked: the session ends
