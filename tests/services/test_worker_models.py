"""A worker of several models (services/worker/): each batch runs on its own model's engine, a model is loaded
when a batch of it comes (a switch, counted), and a batch of a model the worker does not serve goes back to
the queue, for a worker that does."""

import io
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from sfumato.db.database import Database
from sfumato.db.queue import JobQueue
from sfumato.domain.generation import GenerationRequest
from sfumato.domain.ids import new_id
from sfumato.domain.models import MODELS
from sfumato.engine.base import Outcome, RenderJob
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.metrics import Metrics
from sfumato.services.worker import Worker, WorkerOptions
from sfumato.storage import LocalStorage
from tests.conftest import ManualClock, wait_until
from tests.services.test_worker import ended, images_of, job_of


class Quick:
    """A tiny engine whose warm-up (a call at the native 1024x1024) the test skips."""

    def __init__(self, engine: DiffusersEngine) -> None:
        self.engine, self.spec = engine, engine.spec

    def render(self, jobs: Sequence[RenderJob], **kwargs: object) -> list[Outcome]:
        return self.engine.render(jobs, **kwargs)  # type: ignore[arg-type]

    def warmup(self) -> None:
        pass


def queue_jobs(queue: JobQueue, key_id: str, models: Sequence[str]) -> list[str]:
    """One job of each model, oldest first, in one transaction."""
    with queue.db.write() as session:
        return [
            queue.add(
                session,
                job_id=new_id("job"),
                key_id=key_id,
                params=GenerationRequest(prompt="a cat", width=256, height=256, steps=2, seed=9).resolve(
                    MODELS[model], seed=0
                ),
            ).id
            for model in models
        ]


@pytest.fixture
def worker(
    queue: JobQueue,
    tmp_path: Path,
    clock: ManualClock,
    tiny_engine: DiffusersEngine,
    tiny_flux_engine: DiffusersEngine,
) -> Iterator[Worker]:
    engines = {"tiny": tiny_engine, "tiny-flux": tiny_flux_engine}
    built = Worker(
        queue=queue,
        storage=LocalStorage(tmp_path / "images"),
        engine_factory=lambda name: Quick(engines[name]),  # type: ignore[arg-type,return-value]
        clock=clock,
        options=WorkerOptions(poll_seconds=0.05),
        metrics=Metrics(),
        models=["tiny", "tiny-flux"],
    )
    yield built
    built.stop()


def stored_picture(db: Database, tmp_path: Path, job_id: str) -> np.ndarray:
    (image,) = images_of(db, job_id)
    return np.asarray(Image.open(io.BytesIO((tmp_path / "images" / image.storage_key).read_bytes())))


def test_each_job_runs_on_its_models_engine_and_a_model_not_served_waits_for_its_worker(
    worker: Worker,
    queue: JobQueue,
    db: Database,
    key_id: str,
    tmp_path: Path,
    tiny_flux_engine: DiffusersEngine,
) -> None:
    flux_job, sdxl_job, sd3_job = queue_jobs(queue, key_id, ["tiny-flux", "tiny", "tiny-sd3"])
    worker.start()
    assert worker.ready.wait(30)
    assert worker.models == ("tiny", "tiny-flux") and worker.resident() == ["tiny"]
    wait_until(lambda: ended(db, flux_job)() and ended(db, sdxl_job)())
    assert job_of(db, flux_job).status == job_of(db, sdxl_job).status == "succeeded"
    expected = tiny_flux_engine.generate(RenderJob("a cat", None, 256, 256, 2, 0.0, [9]))[0]
    assert np.array_equal(stored_picture(db, tmp_path, flux_job), np.asarray(expected))
    assert set(worker.resident()) == {"tiny", "tiny-flux"}
    rendered = worker.metrics.render().decode()  # /metrics
    assert 'sfumato_model_switches_total{model="tiny-flux"} 1.0' in rendered
    assert 'sfumato_model_switches_total{model="tiny"}' not in rendered  # the start's load is no switch
    assert 'sfumato_model_loaded{model="tiny-flux"} 1.0' in rendered
    # Not this worker's model: handed back each time it is claimed, its attempt not counted.
    sd3 = job_of(db, sd3_job)
    assert (sd3.status, sd3.attempts) in {("queued", 0), ("processing", 1)}
