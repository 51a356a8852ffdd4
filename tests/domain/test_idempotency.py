"""What makes two requests "the same request" (docs/api.md §7): the route and the body, canonically."""

import hashlib
from datetime import date

from sfumato.domain.idempotency import KEPT_FOR, MAX_KEY_LENGTH, Idempotency


def test_the_same_body_on_the_same_route_is_the_same_request_whatever_the_order_of_its_fields() -> None:
    one = Idempotency.of("k", "jobs", {"prompt": "a", "n": 2, "style": {"b": 1, "a": 2}})
    two = Idempotency.of("k", "jobs", {"style": {"a": 2, "b": 1}, "n": 2, "prompt": "a"})
    assert one == two
    assert len(one.fingerprint) == 64 and int(one.fingerprint, 16) >= 0  # sha256, hex


def test_the_same_body_on_another_route_is_another_request() -> None:
    body = {"prompt": "a"}
    assert Idempotency.of("k", "jobs", body).fingerprint != Idempotency.of("k", "openai", body).fingerprint


def test_another_body_is_another_request() -> None:
    assert (
        Idempotency.of("k", "jobs", {"n": 1}).fingerprint != Idempotency.of("k", "jobs", {"n": 2}).fingerprint
    )


def test_the_fingerprint_is_stable_across_releases() -> None:
    """Kept rows outlive a restart: the canonical form must not change under them."""
    canonical = b'["jobs",{"prompt":"a","when":"2026-12-01"}]'  # compact JSON, keys sorted, str() of the rest
    body = {"when": date(2026, 12, 1), "prompt": "a"}
    assert Idempotency.of("k", "jobs", body).fingerprint == hashlib.sha256(canonical).hexdigest()


def test_a_key_is_one_to_255_characters_and_not_only_blanks() -> None:
    assert MAX_KEY_LENGTH == 255
    assert Idempotency.valid_key("a")
    assert Idempotency.valid_key("x" * 255)
    assert not Idempotency.valid_key("x" * 256)
    assert not Idempotency.valid_key("")
    assert not Idempotency.valid_key("   ")
    assert Idempotency.valid_key(" a ")


def test_a_key_is_kept_for_a_day() -> None:
    assert KEPT_FOR.total_seconds() == 24 * 3600
