"""The finisher: encodes and stores a batch's images, then ends each job, while the engine goes on.

Every image of a batch goes to a pool of encoder threads at once, which encode it and sign its content
credentials (services.credentials); each job ends, in its own transaction, when its own files are stored.
Files are written under their job's folder (`{job_id}/{attempt}-{i}.{format}`, domain.images.storage_key)
before the transaction commits. An attempt that cannot commit (canceled, lease lost) deletes its own files;
one that crashed between the two leaves files that the next attempt deletes once it has committed.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from queue import Queue

from PIL.Image import Image as PILImage

from sfumato.db.database import retry
from sfumato.db.queue import JobQueue
from sfumato.domain.clock import Clock
from sfumato.domain.errors import SfumatoError
from sfumato.domain.ids import new_id
from sfumato.domain.images import Image, StoredFile, storage_key
from sfumato.engine.base import Rendered
from sfumato.imaging.formats import encode_image, file_parameters
from sfumato.services.credentials import ContentCredentials
from sfumato.services.metrics import Metrics
from sfumato.services.worker.held_jobs import HeldJob, HeldJobs
from sfumato.services.worker.runner import RenderedBatch
from sfumato.storage import Storage

log = logging.getLogger(__name__)


class Finisher:
    def __init__(
        self,
        queue: JobQueue,
        storage: Storage,
        held: HeldJobs,
        clock: Clock,
        metrics: Metrics,
        *,
        owner: str,
        retention: timedelta,
        encode_threads: int,
        png_compress_level: int,
        on_finished: Callable[[str], None],
        credentials: ContentCredentials | None = None,
    ) -> None:
        self.queue = queue
        self.storage = storage
        self.held = held
        self.clock = clock
        self.metrics = metrics
        self.owner = owner
        self.retention = retention
        self.on_finished = on_finished
        self.png_compress_level = png_compress_level
        self.credentials = credentials
        # The engine waits when a whole batch is behind.
        self._inbox: Queue[RenderedBatch | None] = Queue(maxsize=1)
        self._encoders = ThreadPoolExecutor(encode_threads, thread_name_prefix="sfumato-encode")
        self._thread = threading.Thread(target=self._run, name="sfumato-finisher", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def is_alive(self) -> bool:
        return self._thread.is_alive()

    def hand(self, made: RenderedBatch) -> None:
        self._inbox.put(made)

    def stop(self, timeout: float) -> None:
        """After the engine's last hand-over: finish what was handed, then end."""
        self._inbox.put(None)
        self._thread.join(timeout)
        self._encoders.shutdown()

    def _run(self) -> None:
        while (made := self._inbox.get()) is not None:
            stored = [(held, rendered, self._store_all(held, rendered.images)) for held, rendered in made]
            for held, rendered, files in stored:
                try:
                    self._finish(held, rendered, [file.result() for file in files])
                except Exception as error:
                    log.exception("worker %s: could not store %s", self.owner, held.job.id)
                    self._discard(files)
                    # The client reads the job's error: a code and words, never a path or the system's text.
                    code, message = "storage_failed", "the images could not be stored"
                    if isinstance(error, SfumatoError):
                        code, message = error.code, error.message
                    try:
                        self.queue.fail(self.owner, held.job.id, code, message)
                    except Exception:
                        log.exception(
                            "worker %s: could not fail %s; its lease will lapse", self.owner, held.job.id
                        )
                finally:
                    self.held.drop(held.job.id)
                    self.on_finished(held.job.id)

    def _store_all(self, held: HeldJob, images: list[PILImage]) -> list[Future[Image]]:
        if held.lost:
            return []
        seeds = held.params.seeds()
        parent = self._parent(held)
        return [
            self._encoders.submit(self._store, held, index, image, seeds[index], parent)
            for index, image in enumerate(images)
        ]

    def _parent(self, held: HeldJob) -> bytes | None:
        """The job's input as its images' parent ingredient, stored beside it when it was submitted."""
        if self.credentials is None or not self.credentials.enabled or not held.params.ingredient_key:
            return None
        try:
            return self.storage.get(held.params.ingredient_key)
        except FileNotFoundError:  # submitted while content credentials were off
            return None

    def _store(self, held: HeldJob, index: int, picture: PILImage, seed: int, parent: bytes | None) -> Image:
        """Encode, sign and store one image; its record, for the job's transaction."""
        job, params = held.job, held.params
        image_id = new_id("image")
        data = encode_image(
            picture,
            params.format,
            quality=params.quality,
            parameters=file_parameters(params, seed),
            compress_level=self.png_compress_level,
        )
        if self.credentials is not None:
            data = self.credentials.sign_generated(
                data, params.format, title=image_id, params=params, when=self.clock.now(), archive=parent
            )
        key = storage_key(job.id, f"{job.attempts}-{index}", params.format)
        self.storage.put(key, data)
        return Image.create(
            key_id=job.key_id,
            job_id=job.id,
            job_index=index,
            name=params.name,
            file=StoredFile(key, params.format, picture.width, picture.height, len(data)),
            prompt=params.prompt,
            negative_prompt=params.negative_prompt,
            seed=seed,
            model=params.model,
            style=params.style,
            now=self.clock.now(),
            retention=self.retention,
            image_id=image_id,
            source_image_id=params.source_image_id,
        )

    def _discard(self, files: list[Future[Image]]) -> None:
        for file in files:
            if not file.exception():
                self.storage.delete(file.result().storage_key)

    def _finish(self, held: HeldJob, rendered: Rendered, made: list[Image]) -> None:
        job = held.job
        if held.lost:
            for image in made:
                self.storage.delete(image.storage_key)
            return
        warnings = held.params.notes() + rendered.warnings
        completed = retry(  # through a database restart, rather than generate it all again
            lambda: self.queue.complete(self.owner, job.id, made, warnings),
            seconds=self.queue.lease.total_seconds() / 2,
        )
        if completed:
            self.metrics.job_ended("succeeded", (self.clock.now() - job.created_at).total_seconds())
            self.metrics.images.inc(len(made))
            params = held.params
            inputs = {key for key in (params.input_key, params.mask_key, params.ingredient_key) if key}
            keys = frozenset(image.storage_key for image in made) | inputs
            self.storage.delete_prefix(job.id, keep=keys)  # an earlier attempt's leftovers
            log.info("worker %s: %s succeeded with %d images", self.owner, job.id, len(made))
        else:
            for image in made:
                self.storage.delete(image.storage_key)
            log.info("worker %s: %s was canceled or taken over; its images are discarded", self.owner, job.id)
