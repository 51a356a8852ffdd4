"""GET /metrics: Prometheus text with the queue, the jobs by status, batches, latencies, images made
and webhook deliveries; no key needed."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from sfumato.engine.pipeline import DiffusersEngine
from tests.conftest import SMALL, Deployment, Live, start_live, wait_until


@pytest.fixture
def app(deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine) -> Iterator[Live]:
    yield from start_live(deployment.settings(tmp_path / "data"), tiny_engine)


def scrape(live: Live) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = live.client.get("/metrics")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def test_metrics_count_jobs_batches_images_and_latencies(app: Live) -> None:
    before = scrape(app)
    assert before[("sfumato_queue_depth", ())] == 0
    assert before[("sfumato_jobs", (("status", "succeeded"),))] == 0
    headers = app.key(plan="professional")
    for n in (3, 1):
        job = app.client.post(
            "/v1/jobs", json={"prompt": "x", "n": n, **SMALL}, headers=headers | {"Prefer": "wait=60"}
        ).json()
        assert job["status"] == "succeeded"
    queued = app.client.post(
        "/v1/jobs", json={"prompt": "slow", "width": 2048, "height": 2048, "steps": 8}, headers=headers
    )
    app.client.post(f"/v1/jobs/{queued.json()['id']}/cancel", headers=headers)
    # Counted just after each job's commit, which a poller may see first.
    wait_until(lambda: scrape(app)[("sfumato_images_generated_total", ())] == 4)
    after = scrape(app)
    assert after[("sfumato_jobs", (("status", "succeeded"),))] == 2
    assert after[("sfumato_jobs", (("status", "canceled"),))] == 1
    assert after[("sfumato_batch_images_count", ())] >= 2
    assert after[("sfumato_batch_images_sum", ())] >= 4
    assert after[("sfumato_generation_seconds_count", ())] >= 2
    assert after[("sfumato_job_seconds_count", (("status", "succeeded"),))] == 2
    assert after[("sfumato_job_seconds_sum", (("status", "succeeded"),))] > 0
