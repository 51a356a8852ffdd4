"""Settings a key's client keeps on the server (AUTOMATIC1111's `/sdapi/v1/options`): kept per key, bounded,
and given back as they were set."""

import json
from typing import Any

from sfumato.db.client_options import ClientOptionsStore
from sfumato.domain.clock import Clock
from sfumato.domain.errors import InvalidParameter, PayloadTooLarge
from sfumato.domain.keys import ApiKey

MAX_BYTES = 64 * 1024  # a client's whole options, as JSON


class ClientOptions:
    def __init__(self, store: ClientOptionsStore, clock: Clock) -> None:
        self.store = store
        self.clock = clock

    def get(self, key: ApiKey, client: str) -> dict[str, Any]:
        return self.store.get(key.id, client)

    def update(self, key: ApiKey, client: str, changes: dict[str, Any]) -> dict[str, Any]:
        """The key's options with `changes` laid over them, kept; PayloadTooLarge past MAX_BYTES."""
        if not isinstance(changes, dict):
            raise InvalidParameter("the options must be a JSON object")
        merged = self.store.get(key.id, client) | changes
        if len(json.dumps(merged)) > MAX_BYTES:
            raise PayloadTooLarge(f"a client's options may hold {MAX_BYTES} bytes of JSON")
        self.store.put(key.id, client, merged, self.clock.now())
        return merged
