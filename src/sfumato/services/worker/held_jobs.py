"""The jobs a worker holds, from their claim until their end is committed; shared by its parts."""

import threading
from collections.abc import Iterable
from dataclasses import dataclass

from PIL.Image import Image

from sfumato.domain.jobs import Job
from sfumato.domain.params import JobParams
from sfumato.engine.adapters import AdapterFile


@dataclass
class HeldJob:
    job: Job
    progress: float = 0.0
    lost: bool = False  # canceled, or another worker holds it now: stop and keep nothing
    picture: Image | None = None  # the input of an image-to-image or inpainting job, read at its claim
    mask: Image | None = None
    preview: Image | None = None  # the latest step's small picture, when the job asked for them, until sent
    previewed: bool = False  # it has made a preview: only its first one wakes the lease keeper
    adapters: tuple[AdapterFile, ...] = ()  # its LoRA adapters' files on this machine, found at its claim

    @property
    def params(self) -> JobParams:
        return self.job.params


class HeldJobs:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, HeldJob] = {}
        # Set when a job makes its first preview: the lease keeper sends it at once rather than at its next
        # tick (about a second), so a job shorter than that still shows one (docs/api.md §13).
        self.fresh = threading.Event()

    def hold(self, batch: Iterable[HeldJob]) -> None:
        """From here the lease keeper renews these jobs' leases."""
        with self._lock:
            for held in batch:
                self._held[held.job.id] = held

    def drop(self, job_id: str) -> None:
        with self._lock:
            self._held.pop(job_id, None)

    def progress(self) -> dict[str, float]:
        with self._lock:
            return {job_id: held.progress for job_id, held in self._held.items()}

    def show(self, held: HeldJob, picture: Image) -> None:
        """The job's latest preview, kept until the lease keeper sends it; its first one wakes the keeper."""
        with self._lock:
            held.preview = picture
            first, held.previewed = not held.previewed, True
        if first:
            self.fresh.set()

    def take_previews(self) -> dict[str, Image]:
        """The previews made since the last call, each handed out once."""
        with self._lock:
            taken = {job_id: held.preview for job_id, held in self._held.items() if held.preview is not None}
            for job_id in taken:
                self._held[job_id].preview = None
        return {job_id: picture for job_id, picture in taken.items() if picture is not None}

    def lose(self, job_ids: Iterable[str]) -> None:
        """These jobs are no longer this worker's: the engine drops them at its next step."""
        with self._lock:
            for job_id in job_ids:
                if job_id in self._held:
                    self._held[job_id].lost = True
