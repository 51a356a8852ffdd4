from datetime import UTC, datetime

import pytest

from sfumato.domain.errors import InvalidParameter
from sfumato.domain.pages import decode_cursor, encode_cursor


def test_a_cursor_round_trips() -> None:
    moment = datetime(2026, 5, 1, 12, 30, 15, 123456, tzinfo=UTC)
    assert decode_cursor(encode_cursor(moment, "image_abc")) == (moment, "image_abc")


@pytest.mark.parametrize(
    "cursor", ["nonsense", "!!", encode_cursor(datetime(2026, 1, 1, tzinfo=UTC), "x")[:-3]]
)
def test_a_bad_cursor_names_after(cursor: str) -> None:
    with pytest.raises(InvalidParameter) as caught:
        decode_cursor(cursor)
    assert caught.value.param == "after"
