"""What a JSON body may carry (domain/bodies.py), as pure rules: 32 levels of nesting, finite numbers."""

import json

import pytest

from sfumato.domain.bodies import check, suspect
from sfumato.domain.errors import InvalidParameter


def levels(count: int) -> dict:
    """A body of `count` levels: the object itself, then objects under the field "a"."""
    body: dict = {}
    for _ in range(count - 1):
        body = {"a": body}
    return body


def refused(body: str) -> InvalidParameter:
    assert suspect(body.encode())  # a body the guard would not read cannot be refused
    with pytest.raises(InvalidParameter) as caught:
        check(body.encode())
    return caught.value


def test_a_body_of_32_levels_is_taken_and_one_of_33_refused_naming_its_field() -> None:
    check(json.dumps(levels(32)).encode())
    error = refused(json.dumps(levels(33)))
    assert (error.param, error.message) == ("a", "a is nested deeper than 32 levels")
    listed = refused("[" * 33 + "]" * 33)
    assert (listed.param, listed.message) == (None, "the request body is nested deeper than 32 levels")


def test_the_field_named_is_the_first_to_go_too_deep_whatever_its_siblings() -> None:
    body = {"flat": 1, "shallow": [[1]], "deep": levels(40), "after": levels(40)}
    assert refused(json.dumps(body)).param == "deep"


def test_nesting_past_what_the_parser_recurses_into_is_refused_too() -> None:
    assert refused("[" * 100_000 + "]" * 100_000).param is None


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ('{"seed": NaN}', "seed"),
        ('{"seed": Infinity}', "seed"),
        ('{"seed": -Infinity}', "seed"),
        ('{"seed": 1e400}', "seed"),
        ('{"seed": -1E+999}', "seed"),
        ('{"seed": 1' + "0" * 400 + ".5}", "seed"),
        ('{"a": {"b": [1, 2, NaN]}}', "a.b.2"),
        ("NaN", None),
    ],
)
def test_a_number_no_float_holds_is_refused_naming_its_field(body: str, param: str | None) -> None:
    error = refused(body)
    assert (error.param, error.message) == (param, f"{param or 'the request body'} must be a finite number")


def test_text_no_database_holds_is_refused_naming_its_field() -> None:
    error = refused('{"prompt": "a", "styles": ["b\\ud800"]}')  # a lone surrogate, as JSON escapes it
    assert error.param == "styles.0"


@pytest.mark.parametrize(
    "body",
    ['{"scale": 1e308}', '{"width": ' + "9" * 400 + "}", '{"prompt": "NaN Infinity 1e400"}', '{"x": 12e3}'],
)
def test_large_finite_numbers_big_integers_and_such_words_in_text_are_taken(body: str) -> None:
    check(body.encode())


def test_an_ordinary_body_is_not_even_read() -> None:
    assert not suspect(json.dumps({"prompt": "a cat", "width": 1024, "seed": 7, "n": [1, 2]}).encode())
    assert suspect(b'{"prompt": "caf\\u00e9"}')  # an escape: text to check
    assert not suspect(json.dumps(levels(32)).encode())  # 32 brackets cannot nest past 32 levels
    assert suspect(json.dumps(levels(33)).encode())


def test_an_images_base64_is_not_read_though_it_spells_nan_or_an_exponent() -> None:
    picture = b"iVBORw0KGgoNaNInfinity4e1234E+999" + b"9" * 400  # base64's letters: never after `:`, `[`, `,`
    assert not suspect(b'{"prompt": "a cat", "image": "' + picture + b'", "width": 1024}')


def test_what_is_not_json_is_left_to_the_route() -> None:
    check(b"{not json NaN")


def test_an_integer_past_the_digits_python_converts_is_refused() -> None:
    error = refused('{"seed": ' + "9" * 5000 + "}")
    assert error.message == "the request body holds an integer of more than 4300 digits"
