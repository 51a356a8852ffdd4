"""What every dashboard page shares (web/pages.py), over plain HTTP: each form that changes something (or
shows a secret) is refused without its CSRF token or with a wrong one, and changes nothing; the same form
with its token works. Chromium proves it once more in test_dashboard.py; this needs no browser."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import httpx
import pytest

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Deployment, Live, start_live
from tests.web.signed import sign_in, signed_in, token_of

WRONG = "x" * 32


@dataclass
class Form:
    path: str
    fields: dict[str, str]
    token: str  # the session's own
    wrong: list[str]  # tokens that are not this session's now
    held: Callable[[httpx.Response], bool]  # nothing changed (nothing shown) by the answer


def _image(live: Live, headers: dict[str, str], *, published: bool = False) -> str:
    made = live.client.post("/v1/images/imagine", json={"name": "f", "prompt": "x", **SMALL}, headers=headers)
    assert made.status_code == 201, made.text
    if published:
        live.client.post(f"/v1/images/{made.json()['id']}/publish", headers=headers)
    return str(made.json()["id"])


def _url(live: Live, headers: dict[str, str], image_id: str) -> str | None:
    return live.client.get(f"/v1/images/{image_id}", headers=headers).json()["url"]


def _images(live: Live, headers: dict[str, str]) -> int:
    return len(live.client.get("/v1/images", headers=headers).json()["data"])


def signin(live: Live) -> Form:
    headers = live.key()
    live.client.cookies.clear()
    token = token_of(live.client.get("/signin").text)
    fields = {"api_key": headers["x-api-key"], "next": "/studio"}
    return Form("/signin", fields, token, [WRONG], lambda _: not signed_in(live))


def signout(live: Live) -> Form:
    token, before = sign_in(live, live.key())
    return Form("/signout", {}, token, [WRONG, before], lambda _: signed_in(live))


def reveal(live: Live) -> Form:
    headers = live.key()
    secret = live.services.keys.authenticate(headers["x-api-key"]).webhook_secret
    token, before = sign_in(live, headers)
    return Form("/webhooks/reveal", {}, token, [WRONG, before], lambda answer: secret not in answer.text)


def publish(live: Live) -> Form:
    headers = live.key()
    image = _image(live, headers)
    token, before = sign_in(live, headers)
    held = lambda _: _url(live, headers, image) is None  # noqa: E731
    return Form(f"/gallery/{image}/publish", {}, token, [WRONG, before], held)


def unpublish(live: Live) -> Form:
    headers = live.key()
    image = _image(live, headers, published=True)
    token, before = sign_in(live, headers)
    held = lambda _: _url(live, headers, image) is not None  # noqa: E731
    return Form(f"/gallery/{image}/unpublish", {}, token, [WRONG, before], held)


def transform(live: Live) -> Form:
    headers = live.key()
    image = _image(live, headers)
    token, before = sign_in(live, headers)
    held = lambda _: _images(live, headers) == 1  # noqa: E731
    return Form(f"/gallery/{image}/transform", {"format": "jpeg"}, token, [WRONG, before], held)


def delete(live: Live) -> Form:
    headers = live.key()
    image = _image(live, headers)
    token, before = sign_in(live, headers)
    held = lambda _: _images(live, headers) == 1  # noqa: E731
    return Form(f"/gallery/{image}/delete", {}, token, [WRONG, before], held)


def generate(live: Live) -> Form:
    headers = live.key()
    token, before = sign_in(live, headers)
    fields = {"prompt": "a kite", "width": "256", "height": "256", "n": "1", "random_seed": "1"}
    held = lambda _: live.client.get("/v1/jobs", headers=headers).json()["data"] == []  # noqa: E731
    return Form("/studio", fields, token, [WRONG, before], held)


def cancel(live: Live) -> Form:
    headers = live.key()
    slow = {"prompt": "slow", "width": 1024, "height": 1024, "steps": 20}  # canceled by the form at the end
    job = live.client.post("/v1/jobs", json=slow, headers=headers).json()["id"]
    token, before = sign_in(live, headers)
    status = lambda: live.client.get(f"/v1/jobs/{job}", headers=headers).json()["status"]  # noqa: E731
    return Form(f"/jobs/{job}/cancel", {}, token, [WRONG, before], lambda _: status() != "canceled")


def create_key(live: Live) -> Form:
    token, before = sign_in(live, live.key(admin=True))
    name = f"made-{token[:8]}"
    held = lambda _: name not in {key.name for key in live.services.keys.list_keys()}  # noqa: E731
    return Form("/admin/keys", {"name": name, "plan": "starter"}, token, [WRONG, before], held)


def revoke_key(live: Live) -> Form:
    target, _ = live.services.keys.create("target")
    token, before = sign_in(live, live.key(admin=True))
    held = lambda _: not live.services.keys.get(target.id).revoked  # noqa: E731
    return Form(f"/admin/keys/{target.id}/revoke", {}, token, [WRONG, before], held)


FORMS = [
    signin,
    signout,
    reveal,
    publish,
    unpublish,
    transform,
    delete,
    generate,
    cancel,
    create_key,
    revoke_key,
]


@pytest.mark.parametrize("form", FORMS, ids=[form.__name__ for form in FORMS])
def test_every_form_is_refused_without_its_csrf_token_or_with_a_wrong_one(
    live: Live, form: Callable[[Live], Form]
) -> None:
    made = form(live)
    for token in [None, *made.wrong]:
        fields = made.fields | ({"csrf_token": token} if token is not None else {})
        answer = live.client.post(made.path, data=fields, follow_redirects=False)
        assert answer.status_code == 403 and "Form refused" in answer.text, (token, answer.text[:500])
        assert made.held(answer), token
    fields = made.fields | {"csrf_token": made.token}
    answer = live.client.post(made.path, data=fields, follow_redirects=False)
    assert answer.status_code in (200, 303), answer.text[:2000]
    assert not made.held(answer)  # the form works with its token: the refusals above were the token's


def test_an_operators_key_generates_many_images_many_times_a_minute_from_the_studio(live: Live) -> None:
    headers = live.key(plan="operator", admin=True)
    token, _ = sign_in(live, headers)
    fields = {"prompt": "a kite", "width": "256", "height": "256", "steps": "1", "n": "4", "random_seed": "1"}
    for _ in range(12):  # past the starter plan's ten a minute, four images each (its most is one)
        answer = live.client.post("/studio", data=fields | {"csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 303, answer.text[:2000]
    assert len(live.client.get("/v1/jobs", headers=headers).json()["data"]) == 12


@pytest.fixture(scope="module")
def tight(
    tmp_path_factory: pytest.TempPathFactory, tiny_engine: DiffusersEngine, deployment: Deployment
) -> Iterator[Live]:
    """An app whose starter plan allows 5 page views and one generation a minute, and 2 wrong keys; with no
    worker (its jobs wait): the module's other app already runs the one tiny engine."""
    plans = {"starter": {"reads_per_minute": 5, "requests_per_minute": 1}}
    settings = deployment.settings(tmp_path_factory.mktemp("tight"), plans=plans, auth_failures_per_minute=2)
    yield from start_live(settings, tiny_engine, with_worker=False)


def _slowed(answer: httpx.Response) -> None:
    assert answer.status_code == 429, answer.text[:500]
    assert 1 <= int(answer.headers["retry-after"]) <= 60, answer.headers  # until the minute's end
    assert answer.headers["cache-control"] == "no-store"


def test_a_page_past_the_keys_reads_says_when_to_come_back(tight: Live) -> None:
    sign_in(tight, tight.key())  # the studio after signing in: one read
    answers = [tight.client.get("/usage") for _ in range(5)]
    assert [answer.status_code for answer in answers[:4]] == [200] * 4
    _slowed(answers[4])
    assert "Slow down" in answers[4].text


def test_a_generation_past_the_keys_minute_says_when_to_come_back(tight: Live) -> None:
    token, _ = sign_in(tight, tight.key())
    fields = {"prompt": "a kite", "width": "256", "height": "256", "steps": "1", "csrf_token": token}
    assert tight.client.post("/studio", data=fields, follow_redirects=False).status_code == 303
    _slowed(tight.client.post("/studio", data=fields, follow_redirects=False))


def test_signing_in_past_the_addresss_wrong_keys_says_when_to_come_back(tight: Live) -> None:
    tight.client.cookies.clear()
    token = token_of(tight.client.get("/signin").text)
    form = {"csrf_token": token, "api_key": "sfm_wrong", "next": "/studio"}
    answers = [tight.client.post("/signin", data=form) for _ in range(3)]
    assert [answer.status_code for answer in answers[:2]] == [401, 401]
    _slowed(answers[2])
