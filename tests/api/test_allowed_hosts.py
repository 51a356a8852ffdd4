"""The Host header is believed only for the names the operator allows (SFUMATO_ALLOWED_HOSTS): the URLs the
service hands out are built from it, so `Host: attacker.example` is 400 before any route runs."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from sfumato.app import create_app
from sfumato.http.hosts import allowed_hosts, host_name
from tests.conftest import make_settings


@pytest.fixture
def app_with(tmp_path: Path) -> Iterator[object]:
    clients: list[TestClient] = []

    def start(**settings: object) -> TestClient:
        app = create_app(make_settings(tmp_path / "data", **settings), with_worker=False)
        client = TestClient(app, base_url="http://127.0.0.1:8000")
        clients.append(client.__enter__())
        return client

    yield start
    for client in clients:
        client.__exit__(None, None, None)


def test_by_default_only_the_loopback_names_are_answered(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(allowed_hosts="")
    for host in ("localhost:8000", "127.0.0.1:8000", "[::1]:8000", "LOCALHOST"):
        # 401: past the host check, at the key check
        assert client.get("/v1/models", headers={"Host": host}).status_code == 401, host
    refused = client.get("/v1/models", headers={"Host": "attacker.example"})
    assert refused.status_code == 400
    assert refused.json()["error"] | {"message": ""} == {
        "message": "",
        "type": "invalid_request_error",
        "param": "Host",
        "code": "host_not_allowed",
    }


def test_probes_and_scrapers_may_come_by_any_name(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(allowed_hosts="")
    assert client.get("/healthz", headers={"Host": "10.1.2.3:8000"}).status_code == 200


def test_the_public_base_url_host_and_listed_names_are_answered(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(allowed_hosts="", public_base_url="https://images.example.com")
    assert client.get("/v1/models", headers={"Host": "images.example.com"}).status_code == 401
    listed = app_with(allowed_hosts="a.example, b.example")
    assert listed.get("/v1/models", headers={"Host": "b.example:443"}).status_code == 401
    assert listed.get("/v1/models", headers={"Host": "localhost"}).status_code == 400  # the list replaces
    anything = app_with(allowed_hosts="*")
    assert anything.get("/v1/models", headers={"Host": "whatever.example"}).status_code == 401


def test_a_refused_host_never_reaches_the_urls_handed_out(app_with) -> None:  # type: ignore[no-untyped-def]
    client = app_with(allowed_hosts="")
    # The dashboard and the hosted dialects build URLs from the request's own address.
    for path in ("/signin", "/v1/images/generations"):
        method = "GET" if path == "/signin" else "POST"
        answer = client.request(method, path, headers={"Host": "evil.example"})
        assert answer.status_code == 400 and "evil.example" not in answer.text


@pytest.mark.parametrize(
    ("header", "name"),
    [("Example.COM:8080", "example.com"), ("[::1]:80", "::1"), ("::1", "::1"), ("10.0.0.1", "10.0.0.1")],
)
def test_a_host_header_is_read_without_its_port(header: str, name: str) -> None:
    assert host_name(header) == name


def test_the_listening_address_is_allowed_unless_it_is_every_address() -> None:
    assert "192.168.1.5" in (allowed_hosts("", bound="192.168.1.5", public_base_url="") or ())
    assert "0.0.0.0" not in (allowed_hosts("", bound="0.0.0.0", public_base_url="") or ())
    assert allowed_hosts("*", bound="127.0.0.1", public_base_url="") is None
