"""Standard Webhooks signatures (docs/webhooks.md), by the `standardwebhooks` package.

Each key's secret is made with the key (domain.ids.new_webhook_secret).
"""

from datetime import datetime

from standardwebhooks import Webhook


def signed_headers(secret: str, message_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The three headers a receiver verifies: the same `webhook-id` on every attempt of one event."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, timestamp, body),
    }
