"""Numbers typed into the dashboard's forms (web/forms.py): ASCII digits only, in range, or the form answers
400 with what the field takes. `²` and `①` pass `str.isdigit()` but not `int()`: they were 500 pages."""

import pytest

from sfumato.domain.errors import InvalidParameter
from sfumato.web.forms import decimal, whole_number
from tests.conftest import SMALL, Live
from tests.web.signed import sign_in

FULL_WIDTH = "\uff11\uff12"  # twelve in full-width digits
OTHER_DIGITS = ["²", "①", "٣", FULL_WIDTH, "1e3", "-1", "0x10", "1_0", "9" * 5000]


@pytest.mark.parametrize("typed", OTHER_DIGITS)
def test_only_ascii_digits_make_a_whole_number(typed: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        whole_number({"width": typed}, "width", 16, 2048)
    assert caught.value.param == "width"
    assert caught.value.message == "width must be a whole number from 16 to 2048"


def test_a_whole_number_is_read_within_its_range_and_blank_is_none() -> None:
    assert whole_number({"width": " 512 "}, "width", 16, 2048) == 512
    assert whole_number({"width": "16"}, "width", 16, 2048) == 16
    assert whole_number({"width": "2048"}, "width", 16, 2048) == 2048
    assert (
        whole_number({"width": ""}, "width", 16, 2048) is None and whole_number({}, "width", 16, 2048) is None
    )
    for outside in ("15", "2049"):
        with pytest.raises(InvalidParameter):
            whole_number({"width": outside}, "width", 16, 2048)


@pytest.mark.parametrize("typed", ["²", "٣.5", "nan", "inf", "1e400", "1,5", "."])
def test_only_ascii_decimals_make_a_number(typed: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        decimal({"guidance_scale": typed}, "guidance_scale")
    assert caught.value.message == "guidance_scale must be a number such as 1.5"


def test_a_decimal_is_read_and_blank_is_none() -> None:
    assert (
        decimal({"g": "1.5"}, "g") == 1.5
        and decimal({"g": "2"}, "g") == 2.0
        and decimal({"g": "-0.5"}, "g") == -0.5
    )
    assert decimal({"g": " "}, "g") is None


@pytest.mark.parametrize("typed", ["²", "①"])
def test_each_numeric_field_of_the_dashboard_answers_a_form_error_not_a_500(live: Live, typed: str) -> None:
    headers = live.key(admin=True, plan="professional")
    image = live.client.post(
        "/v1/images/imagine", json={"name": "n", "prompt": "x", **SMALL}, headers=headers
    )
    token, _ = sign_in(live, headers)
    forms = [
        (f"/gallery/{image.json()['id']}/transform", {"width": typed}, "width must be a whole number"),
        (f"/gallery/{image.json()['id']}/transform", {"quality": typed}, "quality must be a whole number"),
        ("/admin/keys", {"name": "k", "rpm": typed}, "rpm must be a whole number"),
        ("/admin/keys", {"name": "k", "monthly_images": typed}, "monthly_images must be a whole number"),
        ("/studio", {"prompt": "p", "width": typed}, "width must be a whole number"),
        ("/studio", {"prompt": "p", "guidance_scale": typed}, "guidance_scale must be a number"),
    ]
    for path, fields, says in forms:
        answer = live.client.post(path, data=fields | {"csrf_token": token}, follow_redirects=False)
        assert answer.status_code == 400 and says in answer.text, (path, fields, answer.text[:300])
    assert [key.name for key in live.services.keys.list_keys()].count("k") == 0
