"""A key's own webhook deliveries, as its dashboard lists them (the outbox's rows, read only)."""

from sfumato.db.outbox import Delivery, WebhookOutbox
from sfumato.domain.keys import ApiKey


class DeliveryLog:
    def __init__(self, outbox: WebhookOutbox) -> None:
        self.outbox = outbox

    def recent(self, key: ApiKey, limit: int) -> list[Delivery]:
        """This key's last deliveries, newest first."""
        return self.outbox.recent_of_key(key.id, limit)
