"""A key's own pages (web/routes/account.py) over plain HTTP: what the usage page says of its plan."""

from tests.conftest import Live
from tests.web.signed import sign_in


def test_the_usage_page_says_what_the_operator_plan_is(live: Live) -> None:
    sign_in(live, live.key(plan="operator", admin=True))
    page = live.client.get("/usage").text
    assert "no monthly quota" in page and "at most 10" in page
    sign_in(live, live.key(plan="starter"))
    assert "no monthly quota" not in live.client.get("/usage").text
