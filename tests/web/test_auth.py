"""Signing in (web/routes/auth.py) over plain HTTP."""

from tests.conftest import Live


def test_the_sign_in_page_gives_the_command_that_makes_an_operators_key(live: Live) -> None:
    live.client.cookies.clear()
    assert "./sfumato keys create --name me --admin" in live.client.get("/signin").text
