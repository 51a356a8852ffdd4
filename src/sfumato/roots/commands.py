"""The composition root of the command line's one-off commands (`sfumato keys …`, `sfumato loras add`): the
database, the key service and the LoRA adapters (with the store their files go to), nothing that runs."""

from dataclasses import dataclass

from sfumato.config import Settings
from sfumato.db.database import Database
from sfumato.domain.clock import SystemClock
from sfumato.roots import parts
from sfumato.services.keys import KeyService
from sfumato.services.loras import LoraService
from sfumato.services.models import catalogue_of
from sfumato.services.startup import checked_storage, open_database


@dataclass
class CommandRoot:
    settings: Settings
    db: Database
    keys: KeyService
    loras: LoraService | None  # built for `sfumato loras` only: it opens the store too

    def close(self) -> None:
        self.db.dispose()


def build_command_root(settings: Settings, *, adapters: bool = False) -> CommandRoot:
    """Connect and migrate (StartupError in one line if it cannot); with `adapters`, the LoRA service and
    the store it writes to."""
    db = open_database(settings)
    clock = SystemClock()
    loras = None
    if adapters:
        storage = checked_storage(settings)
        loras = parts.lora_service(settings, db, storage, clock, catalogue_of(settings))
    return CommandRoot(settings, db, parts.key_service(settings, db, clock), loras)
