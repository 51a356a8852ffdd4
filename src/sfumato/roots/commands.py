"""The composition root of the command line's one-off commands (`sfumato keys …`): the database and the
key service, nothing that runs."""

from dataclasses import dataclass

from sfumato.config import Settings
from sfumato.db.database import Database
from sfumato.domain.clock import SystemClock
from sfumato.roots import parts
from sfumato.services.keys import KeyService
from sfumato.services.startup import open_database


@dataclass
class CommandRoot:
    settings: Settings
    db: Database
    keys: KeyService

    def close(self) -> None:
        self.db.dispose()


def build_command_root(settings: Settings) -> CommandRoot:
    """Connect and migrate (StartupError in one line if it cannot)."""
    db = open_database(settings)
    return CommandRoot(settings, db, parts.key_service(settings, db, SystemClock()))
