"""A worker's own port (SFUMATO_METRICS_PORT) answers the orchestrator's probes beside its metrics: `/healthz`
while the process runs, `/readyz` 200 only once every check (the model above all) is ok."""

import json
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client import CollectorRegistry, Counter

from sfumato.http.probes import serve_probes
from tests.servers import free_port

CHECKS = {"database": "ok", "storage": "ok", "model": "loading"}


@pytest.fixture
def probes() -> Iterator[str]:
    registry = CollectorRegistry()
    Counter("sfumato_images_generated", "images", registry=registry).inc(3)
    port = free_port()
    server = serve_probes("127.0.0.1", port, registry, lambda: dict(CHECKS))
    yield f"http://127.0.0.1:{port}"
    server.shutdown()
    server.server_close()


def test_readyz_is_503_while_the_model_loads_and_200_once_it_is_loaded(probes: str) -> None:
    loading = httpx.get(f"{probes}/readyz")
    assert loading.status_code == 503
    assert json.loads(loading.text) == {"status": "not_ready", "checks": CHECKS}
    CHECKS["model"] = "ok"
    try:
        assert httpx.get(f"{probes}/readyz").status_code == 200
    finally:
        CHECKS["model"] = "loading"


def test_healthz_answers_whatever_the_checks_say(probes: str) -> None:
    answer = httpx.get(f"{probes}/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_every_other_path_is_the_workers_metrics(probes: str) -> None:
    answer = httpx.get(f"{probes}/metrics")
    assert answer.status_code == 200 and "sfumato_images_generated_total 3.0" in answer.text
