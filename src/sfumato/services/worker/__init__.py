"""The worker: claims batches of jobs, runs the engine, stores the images, ends the jobs.

Its parts, each on its own thread so the engine never waits on the database or on encoding:
- the claimer (claimer.py) sweeps lapsed leases and claims a batch: the oldest queued job and
  compatible ones (domain.batching), topped up for a few milliseconds under load; when a batch reaches
  its last denoising step, it claims the next one on its own thread while the GPU finishes;
- the runner (runner.py), on the engine thread, makes a batch's images in one pipeline call, or job by
  job when the call fails, so only the job at fault fails;
- the finisher (finisher.py) encodes and stores the images on a pool of threads and ends each job in
  its own transaction, while the engine is already on the next batch;
- the lease keeper (leases.py) renews the leases of the jobs in hand, records their progress, and marks
  a job that was canceled or went to another worker, so the engine drops it at the next step;
- the heartbeat (heartbeat.py) records every few seconds which models the worker serves and holds in
  memory, for the fleet's model list (services.fleet).

`Worker` (worker.py) only builds and runs them.
"""

from sfumato.services.worker.worker import Worker, WorkerOptions, worker_name

__all__ = ["Worker", "WorkerOptions", "worker_name"]
