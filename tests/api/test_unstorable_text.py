"""Text no database can hold (a lone UTF-16 surrogate, which JSON's `\\ud800` escape carries, or a NUL) is 400
naming the field on every route and dialect, before anything is stored; the key's lists keep working."""

import io

import pytest

from tests.conftest import SMALL, Live
from tests.pictures import png

SURROGATE = '"a\\ud800b"'  # valid JSON, not valid Unicode
NUL = '"a\\u0000b"'
PAIR = '"a\\ud83c\\udf19b"'  # a proper surrogate pair: the crescent moon, which is fine


JOB = '{"prompt": %s, "width": 256, "height": 256}'


def _post(live: Live, path: str, body: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    json_type = {"content-type": "application/json"}
    return live.client.post(path, content=body.encode(), headers=headers | json_type)


def _assert_refused(response, param: str | None) -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert (error["type"], error["code"]) == ("invalid_request_error", "parameter_invalid")
    assert error["param"] == param
    assert "Traceback" not in response.text and "Error" not in error["message"]


def _assert_nothing_stored(live: Live, headers: dict[str, str]) -> None:
    for path in ("/v1/jobs", "/v1/images"):
        listed = live.client.get(path, headers=headers)
        assert listed.status_code == 200 and listed.json()["data"] == [], listed.text


@pytest.mark.parametrize("text", [SURROGATE, NUL], ids=["surrogate", "nul"])
@pytest.mark.parametrize(
    ("path", "template", "param"),
    [
        ("/v1/jobs", JOB, "prompt"),
        ("/v1/jobs", '{"prompt": "p", "negative_prompt": %s, "width": 256}', "negative_prompt"),
        ("/v1/images/imagine", '{"name": %s, "prompt": "p", "width": 256, "height": 256}', "name"),
        ("/api/generate-image", '{"prompt": %s, "width": 256, "height": 256}', "prompt"),
        ("/v1/images/generations", '{"prompt": %s, "size": "256x256"}', "prompt"),
        ("/v1/images/generations", '{"prompt": "p", "user": %s}', "user"),
        ("/sdapi/v1/txt2img", '{"prompt": %s, "width": 256, "height": 256}', "prompt"),
        ("/sdapi/v1/txt2img", '{"prompt": "p", "styles": [%s]}', "styles.0"),
        ("/v1/jobs", '{"prompt": "p", "metadata": {%s: 1}}', "metadata"),  # a key is text too
    ],
)
def test_unstorable_text_is_400_naming_the_field_and_stores_nothing(
    live: Live, path: str, template: str, param: str | None, text: str
) -> None:
    headers = live.key()
    _assert_refused(_post(live, path, template % text, headers), param)
    _assert_nothing_stored(live, headers)


def test_a_proper_surrogate_pair_is_ordinary_text(live: Live) -> None:
    headers = live.key()
    response = _post(live, "/v1/jobs", JOB % PAIR, headers)
    assert response.status_code == 202, response.text
    assert response.json()["params"]["prompt"] == "a\U0001f319b"
    assert live.client.get(f"/v1/jobs/{response.json()['id']}", headers=headers).status_code == 200


def test_a_key_name_that_cannot_be_stored_is_400(live: Live) -> None:
    admin = live.key("admin", admin=True)
    for text in (SURROGATE, NUL):
        _assert_refused(_post(live, "/v1/admin/keys", f'{{"name": {text}}}', admin), "name")
        _assert_refused(_post(live, "/v1/admin/keys", f'{{"name": "k", "plan": {text}}}', admin), "plan")
    names = [key["name"] for key in live.client.get("/v1/admin/keys", headers=admin).json()["data"]]
    assert "k" not in names and not any(name.startswith("a") and name.endswith("b") for name in names)


def test_a_nul_in_a_multipart_form_field_is_400(live: Live) -> None:
    # The openai-python client sends edits as multipart (src/openai/resources/images.py: `edit` posts files).
    headers = live.key()
    response = live.client.post(
        "/v1/images/edits",
        headers=headers,
        files={"image": ("in.png", io.BytesIO(png(256, 256)), "image/png")},
        data={"prompt": "a\x00b", "size": "256x256"},
    )
    _assert_refused(response, "prompt")
    _assert_nothing_stored(live, headers)


@pytest.mark.parametrize("query", ["name=a%00b", "after=%00", "status=succeeded%00"])
def test_a_nul_in_a_query_parameter_is_400(live: Live, query: str) -> None:
    headers = live.key()
    path = "/v1/images" if query.startswith("name") else "/v1/jobs"
    response = live.client.get(f"{path}?{query}", headers=headers)
    _assert_refused(response, query.split("=")[0])


def test_a_nul_in_the_path_is_400(live: Live) -> None:
    response = live.client.get("/v1/jobs/job_%00", headers=live.key())
    _assert_refused(response, None)


def test_a_body_already_stored_before_is_still_listed_after_a_refusal(live: Live) -> None:
    headers = live.key()
    kept = live.client.post("/v1/jobs", json={"prompt": "kept", **SMALL}, headers=headers)
    assert kept.status_code == 202
    _assert_refused(_post(live, "/v1/jobs", JOB % SURROGATE, headers), "prompt")
    listed = live.client.get("/v1/jobs", headers=headers).json()["data"]
    assert [job["id"] for job in listed] == [kept.json()["id"]]
