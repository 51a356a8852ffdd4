"""Content credentials as the operator sets them, on both deployments: the operator's own certificate signs
(and the prompt is recorded only when asked), `off` signs nothing and says so, and a certificate that cannot
sign stops the start before anything is opened (docs/credentials.md)."""

import base64
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sfumato.app import create_app
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.startup import StartupError
from tests.certificates import Issued, issue
from tests.conftest import SMALL, Deployment, Live, start_live
from tests.manifests import read_back

PROMPT = {"name": "p", "prompt": "a private harbour at dawn", **SMALL}


@pytest.fixture(scope="module")
def operator() -> Issued:
    return issue()


@pytest.fixture(scope="module")
def own(
    tmp_path_factory: pytest.TempPathFactory,
    tiny_engine: DiffusersEngine,
    deployment: Deployment,
    operator: Issued,
) -> Iterator[Live]:
    """A service signing with the operator's certificate (given as files), prompts included."""
    folder = tmp_path_factory.mktemp("own")
    cert, key = operator.write(folder / "secrets")
    settings = deployment.settings(
        folder / "data", c2pa_cert=str(cert), c2pa_key=str(key), c2pa_include_prompt=True
    )
    yield from start_live(settings, tiny_engine)


@pytest.fixture(scope="module")
def off(
    tmp_path_factory: pytest.TempPathFactory, tiny_engine: DiffusersEngine, deployment: Deployment
) -> Iterator[Live]:
    settings = deployment.settings(tmp_path_factory.mktemp("off") / "data", content_credentials=False)
    yield from start_live(settings, tiny_engine)


def imagined(live: Live) -> bytes:
    headers = live.key()
    image = live.client.post("/v1/images/imagine", json=PROMPT, headers=headers).json()
    return live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content


def test_the_operators_certificate_signs_and_its_ca_makes_it_trusted(own: Live, operator: Issued) -> None:
    data = imagined(own)
    found = read_back(data, operator.ca_pem)
    assert (found.state, found.failures) == ("Trusted", [])
    assert found.manifest["signature_info"]["common_name"] == "Example Operator signer"
    assert read_back(data).state == "Valid"  # without the operator's CA: valid, not trusted
    assert own.client.get("/readyz").json()["content_credentials"] == "on"
    assert not (Path(own.services.settings.data_dir) / "c2pa").exists()  # no local pair beside it


def test_the_prompt_is_recorded_where_the_operator_includes_it(own: Live, operator: Issued) -> None:
    (action,) = read_back(imagined(own), operator.ca_pem).actions()
    assert action["parameters"] == {"model": "tiny", "prompt": "a private harbour at dawn"}


def test_off_signs_nothing_says_so_and_still_verifies(off: Live) -> None:
    data = imagined(off)
    assert read_back(data).state is None
    assert off.client.get("/readyz").json()["content_credentials"] == "off"
    files = {"file": ("x.png", data, "image/png")}
    answer = off.client.post("/v1/credentials/verify", files=files, headers=off.key())
    assert answer.status_code == 200 and answer.json()["present"] is False
    assert not (Path(off.services.settings.data_dir) / "c2pa").exists()


def test_openai_b64_json_is_unsigned_when_off(off: Live) -> None:
    body = {"model": "gpt-image-1", "prompt": "a tree", "size": "256x256"}
    answer = off.client.post("/v1/images/generations", json=body, headers=off.key())
    assert read_back(base64.b64decode(answer.json()["data"][0]["b64_json"])).state is None


BROKEN = b"-----BEGIN CERTIFICATE-----\nnot one\n-----END CERTIFICATE-----\n"


@pytest.mark.parametrize("fault", ["expired", "broken"])
def test_a_certificate_that_cannot_sign_stops_the_start(
    deployment: Deployment, tmp_path: Path, fault: str
) -> None:
    if fault == "expired":
        made = issue(not_after=datetime.now(UTC) - timedelta(days=1))
        says = "Example Operator signer expired on "
    else:
        made = Issued(b"", BROKEN, issue().key_pem)
        says = "not a PEM certificate chain"
    cert, key = made.write(tmp_path / "secrets")
    settings = deployment.settings(tmp_path / "data", c2pa_cert=str(cert), c2pa_key=str(key))
    with pytest.raises(StartupError) as raised, TestClient(create_app(settings)):
        pass
    message = str(raised.value)  # the expired one ends with its date
    assert message.startswith(f"content credentials: SFUMATO_C2PA_CERT: {says}") and "\n" not in message
