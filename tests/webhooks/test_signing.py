"""Signatures as the Standard Webhooks spec defines them, proven on its own test vector."""

from datetime import UTC, datetime

from standardwebhooks import Webhook

from sfumato.domain.ids import new_webhook_secret
from sfumato.webhooks.signing import signed_headers


def test_the_specs_test_vector() -> None:
    headers = signed_headers(
        "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        "msg_p5jXN8AQM9LWM0D4loKWxJek",
        datetime.fromtimestamp(1614265330, tz=UTC),
        '{"test": 2432232314}',
    )
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    }


def test_a_receiver_verifies_what_was_signed_and_nothing_else() -> None:
    secret = new_webhook_secret()
    assert secret.startswith("whsec_") and secret != new_webhook_secret()
    body = '{"type": "job.succeeded"}'
    headers = signed_headers(secret, "msg_1", datetime.now(UTC), body)
    assert Webhook(secret).verify(body, headers) == {"type": "job.succeeded"}
    tampered = body.replace("succeeded", "failed")
    try:
        Webhook(secret).verify(tampered, headers)
    except Exception as error:
        assert "signature" in str(error).lower()
    else:
        raise AssertionError("a tampered body verified")
