"""The lease keeper: renews the leases of the jobs in hand and records their progress.

About every second (a third of a lease at most) it sends the progress that changed, and renews every
lease when a third of it has passed; a job's first preview is sent as soon as it is made, so a job that
asked for previews shows one however short it is. A job the queue no longer lets this worker hold
(canceled, or taken over after a lapse) is marked lost, so the engine drops it at its next step.
"""

import logging
import threading
import time

from sfumato.db.queue import JobQueue
from sfumato.imaging.formats import preview_base64
from sfumato.services.worker.held_jobs import HeldJobs

log = logging.getLogger(__name__)


class LeaseKeeper:
    def __init__(self, queue: JobQueue, held: HeldJobs, *, owner: str) -> None:
        self.queue = queue
        self.held = held
        self.owner = owner
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sfumato-heartbeat", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float) -> None:
        self._stop.set()
        self.held.fresh.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        lease = self.queue.lease.total_seconds()
        interval = min(1.0, lease / 3)
        sent: dict[str, float] = {}
        renewed = time.monotonic()
        while True:
            first_preview = self.held.fresh.wait(interval)  # the tick, or a job's first preview
            self.held.fresh.clear()
            if self._stop.is_set():
                return
            progress = self.held.progress()
            lease_due = time.monotonic() - renewed >= lease / 3
            if not progress or (not lease_due and progress == sent and not first_preview):
                continue
            shown = {job_id: preview_base64(picture) for job_id, picture in self.held.take_previews().items()}
            try:
                alive = self.queue.renew(self.owner, progress, shown)
            except Exception:
                log.exception("worker %s: could not renew leases", self.owner)
                continue
            sent, renewed = progress, time.monotonic()
            self.held.lose(progress.keys() - alive)
