"""compose.yaml describes a deployment Sfumato accepts: real settings, the right commands, the same torch
as scripts/bootstrap. (Docker itself is not on the test machines; the e2e scale-out tests run the same
processes and settings on the tests' own PostgreSQL, S3 server and Redis.)"""

import re
from pathlib import Path

import pytest
import yaml

from sfumato.config import Settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def sfumato_services(compose: dict) -> dict[str, dict]:
    return {
        name: service
        for name, service in compose["services"].items()
        if service.get("image") == "sfumato:latest"
    }


def test_it_runs_two_apis_without_workers_and_a_worker_per_gpu(compose: dict) -> None:
    services = sfumato_services(compose)
    commands = {name: service["command"][:2] for name, service in services.items()}
    assert commands == {
        "api-1": ["serve", "--no-worker"],
        "api-2": ["serve", "--no-worker"],
        "worker-gpu-0": ["worker"],
    }
    gpu = services["worker-gpu-0"]["deploy"]["resources"]["reservations"]["devices"][0]
    assert gpu["device_ids"] == ["0"] and gpu["capabilities"] == ["gpu"]
    balancer = " ".join(compose["services"]["balancer"]["command"])
    assert "api-1:8000" in balancer and "api-2:8000" in balancer


def test_every_setting_it_gives_is_one_sfumato_reads_and_accepts(
    compose: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    fields = {f"SFUMATO_{name.upper()}" for name in Settings.model_fields}
    for name, service in sfumato_services(compose).items():
        environment = {key: str(value) for key, value in service["environment"].items()}
        assert set(environment) <= fields, (name, set(environment) - fields)
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        settings = Settings()
        assert settings.database_url.startswith("postgresql://")
        assert settings.storage_url.startswith("s3://") and settings.s3_endpoint_url
        assert settings.redis_url.startswith("redis://")


def test_every_process_signs_with_one_content_credentials_pair(compose: dict) -> None:
    """Each container's data directory is its own: the local pair (docs/credentials.md) lives on one volume
    that every API and worker mounts, so images read back under one CA whichever process made them."""
    mounts = {name: service.get("volumes", []) for name, service in sfumato_services(compose).items()}
    assert all("credentials:/app/data/c2pa" in volumes for volumes in mounts.values()), mounts
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "WORKDIR /app" in dockerfile and "chown -R sfumato /app/data" in dockerfile  # ./data, writable


def test_the_image_installs_the_torch_that_bootstrap_does() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    bootstrap = (ROOT / "scripts" / "bootstrap").read_text()
    (pinned,) = re.findall(r'"(torch==[\d.]+)"', dockerfile)
    assert "SFUMATO_TORCH_SPEC:-" + pinned in bootstrap
    assert "-c constraints.txt" in dockerfile
