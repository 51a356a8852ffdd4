"""What no JSON body may carry, on every route and dialect (domain/bodies.py, checked by the body guard of
api/middleware.py before any route reads it): numbers JSON cannot hold (`NaN`, `Infinity`, or `1e400`, which
no float holds), and nesting past 32 levels. Each is 400 naming the field, with nothing made, stored or
charged; AUTOMATIC1111's dialect too, whose clients' sizes and scales are otherwise translated."""

import json

import pytest

from tests.conftest import Live


def nested(levels: int) -> str:
    """A JSON value of `levels` lists, one inside the other."""
    return "[" * levels + "]" * levels


def _post(live: Live, path: str, body: str, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return live.client.post(
        path, content=body.encode(), headers=headers | {"content-type": "application/json"}
    )


def _refused(answer, param: str | None, says: str) -> None:  # type: ignore[no-untyped-def]
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "invalid_request_error",
        "parameter_invalid",
        param,
    )
    assert says in error["message"] and "Traceback" not in answer.text


def _nothing_made_or_charged(live: Live, headers: dict[str, str]) -> None:
    for path in ("/v1/jobs", "/v1/images"):
        assert live.client.get(path, headers=headers).json()["data"] == []
    assert live.client.get("/v1/usage", headers=headers).json()["images_used"] == 0


TXT2IMG = '{"prompt": "p", "width": 256, "height": 256, "steps": 1, %s}'


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/sdapi/v1/txt2img", TXT2IMG % '"seed": 1e400', "seed"),
        ("/sdapi/v1/txt2img", TXT2IMG % '"seed": Infinity', "seed"),
        ("/sdapi/v1/txt2img", TXT2IMG % '"seed": -Infinity', "seed"),
        ("/sdapi/v1/txt2img", TXT2IMG % '"cfg_scale": NaN', "cfg_scale"),
        ("/sdapi/v1/txt2img", TXT2IMG % '"hr_scale": -1e999, "enable_hr": true', "hr_scale"),
        ("/sdapi/v1/txt2img", TXT2IMG % '"override_settings": {"eta": NaN}', "override_settings.eta"),
        ("/v1/jobs", '{"prompt": "p", "guidance_scale": NaN}', "guidance_scale"),
        ("/v1/images/generations", '{"prompt": "p", "size": "256x256", "seed": 1e400}', "seed"),
        ("/api/generate-image", '{"prompt": "p", "width": 256, "height": 256, "seed": Infinity}', "seed"),
    ],
)
def test_a_number_json_cannot_hold_is_400_naming_it_and_nothing_is_made(
    live: Live, path: str, body: str, param: str
) -> None:
    headers = live.key()
    _refused(_post(live, path, body, headers), param, "finite number")
    _nothing_made_or_charged(live, headers)


@pytest.mark.parametrize(
    ("path", "body", "param"),
    [
        ("/sdapi/v1/txt2img", TXT2IMG % f'"override_settings": {{"x": {nested(300)}}}', "override_settings"),
        (
            "/sdapi/v1/txt2img",
            TXT2IMG % f'"alwayson_scripts": {{"x": {nested(31)}}}',
            "alwayson_scripts",
        ),  # 33 levels
        ("/v1/jobs", f'{{"prompt": "p", "style": {nested(300)}}}', "style"),
        ("/v1/images/generations", f'{{"prompt": "p", "user": {nested(40)}}}', "user"),
        ("/sdapi/v1/txt2img", nested(10_000), None),  # past what Python's parser recurses into
    ],
)
def test_a_body_nested_past_32_levels_is_400_and_nothing_is_made(
    live: Live, path: str, body: str, param: str | None
) -> None:
    headers = live.key()
    _refused(_post(live, path, body, headers), param, "nested deeper than 32 levels")
    _nothing_made_or_charged(live, headers)


def test_options_nested_past_32_levels_are_not_kept_and_the_options_still_read(live: Live) -> None:
    headers = live.key()
    deepest = f'{{"kept": {{"x": {nested(30)}}}}}'  # 32 levels with the body itself: taken
    assert _post(live, "/sdapi/v1/options", deepest, headers).status_code == 200
    deeper = f'{{"dropped": {{"x": {nested(298)}}}}}'
    _refused(_post(live, "/sdapi/v1/options", deeper, headers), "dropped", "nested deeper than 32 levels")
    options = live.client.get("/sdapi/v1/options", headers=headers)
    assert options.status_code == 200, options.text
    assert "dropped" not in options.json() and options.json()["kept"] == {"x": json.loads(nested(30))}


def test_an_integer_past_the_digits_python_converts_is_400_in_the_envelope(live: Live) -> None:
    headers = live.key()
    body = '{"prompt": "p", "seed": ' + "9" * 5000 + "}"
    _refused(_post(live, "/sdapi/v1/txt2img", body, headers), None, "more than 4300 digits")
    _nothing_made_or_charged(live, headers)
