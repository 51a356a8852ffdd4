import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sfumato.app import create_app
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.roots.api import build_api_root
from tests.conftest import Deployment


@pytest.fixture
def loading(
    deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine
) -> Iterator[tuple[TestClient, threading.Event]]:
    """An app whose model is still loading until the test lets it finish."""
    release = threading.Event()

    def slow_engine() -> DiffusersEngine:
        release.wait(30)
        return tiny_engine

    settings = deployment.settings(tmp_path / "data")
    app = create_app(
        settings,
        root_factory=lambda: build_api_root(settings, worker=True, engine_factory=slow_engine),
    )
    with TestClient(app) as client:
        yield client, release
        release.set()


def test_readyz_is_503_until_the_model_is_loaded(loading: tuple[TestClient, threading.Event]) -> None:
    client, release = loading
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "storage": "ok", "model": "loading"}
    assert response.json()["error"]["code"] == "not_ready"
    release.set()
    app = client.app
    assert app.state.root.worker.ready.wait(30)  # type: ignore[attr-defined]
    assert client.get("/readyz").json() == {
        "status": "ok",
        "checks": {"database": "ok", "storage": "ok", "model": "ok"},
        "content_credentials": "on (local CA)",  # the operator's choice, said, not a check (api.md §17)
        "unserved_models": [],  # models queued jobs ask for that no live worker serves (api.md §15)
    }


def test_an_api_without_a_worker_is_ready_with_its_database(deployment: Deployment, tmp_path: Path) -> None:
    with TestClient(create_app(deployment.settings(tmp_path / "data"), with_worker=False)) as client:
        assert client.get("/readyz").status_code == 200


def test_new_work_is_refused_with_503_when_the_model_cannot_start(
    deployment: Deployment, tmp_path: Path
) -> None:
    def broken() -> DiffusersEngine:
        raise RuntimeError("CUDA out of memory")

    settings = deployment.settings(tmp_path / "data")
    app = create_app(
        settings, root_factory=lambda: build_api_root(settings, worker=True, engine_factory=broken)
    )
    with TestClient(app) as client:
        services = app.state.root
        _, raw = services.keys.create("me")
        for _ in range(100):
            if services.worker.error:
                break
            threading.Event().wait(0.05)
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert "CUDA out of memory" in ready.json()["checks"]["model"]
        response = client.post(
            "/v1/images/imagine", json={"name": "x", "prompt": "x"}, headers={"x-api-key": raw}
        )
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "model_unavailable"
        assert "CUDA out of memory" in response.json()["error"]["message"]
        assert client.get("/v1/jobs", headers={"x-api-key": raw}).json()["data"] == []
