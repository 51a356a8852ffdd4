"""The dashboard over plain HTTP (the app's TestClient, no browser): signing in as a browser would, and the
CSRF token each page carries, for the tests of its forms."""

import re

from tests.conftest import Live

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def token_of(html: str) -> str:
    found = _TOKEN.search(html)
    assert found, html[:2000]
    return found.group(1)


def sign_in(live: Live, headers: dict[str, str]) -> tuple[str, str]:
    """Sign the test's client in with the key of `headers` (its earlier session dropped): the session's
    CSRF token, as the dashboard's pages carry it, and the one it had before signing in."""
    client = live.client
    client.cookies.clear()
    before = token_of(client.get("/signin").text)
    form = {"csrf_token": before, "api_key": headers["x-api-key"], "next": "/studio"}
    answer = client.post("/signin", data=form, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (303, "/studio"), answer.text
    return token_of(client.get("/studio").text), before  # a new token at sign-in


def signed_in(live: Live) -> bool:
    answer = live.client.get("/studio", follow_redirects=False)
    return answer.status_code == 200
