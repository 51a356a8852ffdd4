"""Prometheus metrics (GET /metrics): one registry per process, never the library's global one, so
several services in one process (tests) never collide.

What the database knows (jobs by status, queue depth, and the queue by plan: its jobs and its oldest
job's wait) is read at scrape time, so every API process answers for the whole fleet; what a worker
measures (batch sizes, generation time, images made, end-to-end time) lives in the process that did it:
the embedded worker's in `serve`'s /metrics, a `sfumato worker` process's on SFUMATO_METRICS_PORT. Webhook
deliveries are counted by the API process that sent them. Images a second:
`rate(sfumato_images_generated_total[1m])`.
"""

from collections.abc import Callable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from sfumato.db.jobs import JobStore
from sfumato.domain.clock import Clock, SystemClock

_SECONDS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0, 60.0, 120.0, 300.0)


class _QueueCollector(Collector):
    def __init__(self, jobs: JobStore, clock: Clock) -> None:
        self.jobs = jobs
        self.clock = clock

    def collect(self) -> Iterator[GaugeMetricFamily]:
        counts = self.jobs.counts()
        jobs = GaugeMetricFamily("sfumato_jobs", "Jobs in the database by status", labels=["status"])
        for status, count in counts.items():
            jobs.add_metric([status], count)
        yield jobs
        yield GaugeMetricFamily("sfumato_queue_depth", "Jobs waiting for a worker", value=counts["queued"])
        by_plan = self.jobs.queued_by_plan()
        depth = GaugeMetricFamily("sfumato_queue_jobs", "Jobs waiting, by their key's plan", labels=["plan"])
        wait = GaugeMetricFamily(
            "sfumato_queue_wait_seconds",
            "How long the oldest waiting job has waited, by plan",
            labels=["plan"],
        )
        now = self.clock.now()
        for plan, (count, oldest) in sorted(by_plan.items()):
            depth.add_metric([plan], count)
            wait.add_metric([plan], max(0.0, (now - oldest).total_seconds()))
        yield depth
        yield wait


Names = Callable[[], Sequence[str]]


class _ModelsCollector(Collector):
    def __init__(self, served: Names, resident: Names) -> None:
        self.served, self.resident = served, resident

    def collect(self) -> Iterator[GaugeMetricFamily]:
        loaded = set(self.resident())
        gauge = GaugeMetricFamily(
            "sfumato_model_loaded", "This worker's models: 1 in memory, 0 not", labels=["model"]
        )
        for model in self.served():
            gauge.add_metric([model], 1.0 if model in loaded else 0.0)
        yield gauge


class Metrics:
    def __init__(self, jobs: JobStore | None = None, clock: Clock | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        if jobs is not None:
            self.registry.register(_QueueCollector(jobs, clock or SystemClock()))
        self.batch_images = Histogram(
            "sfumato_batch_images",
            "Images made by one pipeline call",
            buckets=(1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64),
            registry=self.registry,
        )
        self.generation_seconds = Histogram(
            "sfumato_generation_seconds",
            "One pipeline call, from its first step to its decoded images",
            buckets=_SECONDS,
            registry=self.registry,
        )
        self.job_seconds = Histogram(
            "sfumato_job_seconds",
            "A job from its creation to its end (queueing, generation, storage)",
            ["status"],
            buckets=_SECONDS,
            registry=self.registry,
        )
        self.images = Counter(
            "sfumato_images_generated", "Images generated and stored", registry=self.registry
        )
        self.webhooks = Counter(
            "sfumato_webhook_deliveries",
            "Webhook delivery attempts by the delivery's state after them",
            ["result"],
            registry=self.registry,
        )

        self.model_switches = Counter(
            "sfumato_model_switches",
            "Models this worker loaded for a batch after its start (its default is loaded at the start)",
            ["model"],
            registry=self.registry,
        )
        self.model_unloads = Counter(
            "sfumato_model_unloads",
            "Models unloaded to make room within SFUMATO_MODEL_MEMORY",
            ["model"],
            registry=self.registry,
        )

    def watch_models(self, served: Names, resident: Names) -> None:
        """Report which of a worker's models are in memory, read at each scrape."""
        self.registry.register(_ModelsCollector(served, resident))

    def job_ended(self, status: str, seconds: float) -> None:
        """A job ended `status` after `seconds` from its creation."""
        self.job_seconds.labels(status).observe(seconds)

    def render(self) -> bytes:
        """The text exposition format; reads the database (call it off the event loop)."""
        return generate_latest(self.registry)
