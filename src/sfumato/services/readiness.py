"""Whether a process is ready to serve (/readyz, the admin service page): its database answers and takes
writes, its image store takes writes, and its worker, if it runs one, has loaded the model."""

from sfumato.db.database import Database
from sfumato.services.worker import Worker
from sfumato.storage import Storage


class Readiness:
    def __init__(self, db: Database, storage: Storage, worker: Worker | None) -> None:
        self.db = db
        self.storage = storage
        self.worker = worker

    def checks(self) -> dict[str, str]:
        """Each check's state; the service is ready when all are "ok"."""
        checks = {}
        try:
            self.db.ping()
            # The last write's outcome: a database that answers but takes no writes is not ready.
            checks["database"] = f"cannot write: {self.db.write_fault}" if self.db.write_fault else "ok"
        except Exception as error:
            checks["database"] = f"unreachable: {type(error).__name__}"
        checks["storage"] = f"cannot write: {self.storage.fault}" if self.storage.fault else "ok"
        if self.worker is None:
            checks["model"] = "ok"  # no worker here: the workers elsewhere answer for the model
        elif self.worker.error:
            checks["model"] = self.worker.error
        else:
            checks["model"] = "ok" if self.worker.ready.is_set() else "loading"
        return checks
