"""The server's own bounds (api/server.py) and who a request comes from, on a real `sfumato serve`:
headers past the limit are 431, a client that stalls is cut off, a valid key is never refused for others'
wrong keys, and forwarded addresses count only from the proxies the operator lists."""

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import Server, create_key, environment

SECONDS = 1.0  # the head and body deadlines these servers run with


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("bounded")
    env = environment(
        folder / "data",
        max_header_bytes="8192",
        header_timeout_seconds=str(SECONDS),
        body_timeout_seconds=str(SECONDS),
        auth_failures_per_minute="3",
    )
    running = Server(env, folder / "serve.log", "--no-worker")
    try:
        running.wait_ready()
        yield running, create_key(env)
    finally:
        running.stop()


def connect(server: Server) -> socket.socket:
    connection = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    return connection


def read_all(connection: socket.socket, seconds: float = 10) -> bytes:
    """Everything the server sends until it closes the connection (a deadline fails the test)."""
    connection.settimeout(seconds)
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_and_body(answer: bytes) -> tuple[int, dict]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), json.loads(body)


def test_headers_past_the_limit_are_431_in_the_envelope(server: tuple[Server, str]) -> None:
    running, _ = server
    connection = connect(running)
    connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + b"a" * 100_000 + b"\r\n\r\n")
    status, body = status_and_body(read_all(connection))
    assert status == 431
    assert body["error"]["code"] == "headers_too_large"
    assert running.client.get("/healthz").status_code == 200  # the server goes on


def test_headers_within_the_limit_are_answered(server: tuple[Server, str]) -> None:
    running, _ = server
    assert running.client.get("/healthz", headers={"X-Fine": "a" * 4000}).status_code == 200


def test_a_connection_that_sends_nothing_is_closed_with_408(server: tuple[Server, str]) -> None:
    running, _ = server
    connection = connect(running)
    status, body = status_and_body(read_all(connection))
    assert status == 408 and body["error"]["code"] == "request_timeout"


def test_a_client_that_sends_a_byte_at_a_time_is_cut_off(server: tuple[Server, str]) -> None:
    running, _ = server
    connection = connect(running)
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    started = time.monotonic()
    sent = 0
    try:
        for byte in request[:-1]:  # never the last byte: the head never completes
            connection.sendall(bytes([byte]))
            sent += 1
            time.sleep(0.1)
    except OSError:
        pass  # closed while sending: what is tested
    answer = read_all(connection)
    assert answer.startswith(b"HTTP/1.1 408"), answer[:100]
    assert sent < len(request) - 1 or time.monotonic() - started >= SECONDS


def test_a_body_that_stalls_is_cut_off(server: tuple[Server, str]) -> None:
    running, key = server
    connection = connect(running)
    connection.sendall(
        b"POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"x-api-key: {key}\r\nContent-Length: 100\r\n\r\n".encode()
        + b'{"prompt": '
    )
    assert read_all(connection) == b""  # closed, nothing answered, nothing stored
    assert running.client.get("/v1/jobs", headers={"x-api-key": key}).json()["data"] == []


def test_many_idle_connections_do_not_keep_others_waiting_and_are_closed(server: tuple[Server, str]) -> None:
    running, _ = server
    idle = [connect(running) for _ in range(300)]
    try:
        assert running.client.get("/healthz").status_code == 200
        for connection in idle:
            assert read_all(connection).startswith(b"HTTP/1.1 408")
    finally:
        for connection in idle:
            connection.close()


def test_keep_alive_connections_serve_one_request_after_another(server: tuple[Server, str]) -> None:
    running, _ = server
    with httpx.Client(base_url=running.url) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
            time.sleep(SECONDS / 2)  # within the keep-alive; the head deadline starts again each time


def test_a_valid_key_is_never_refused_for_wrong_keys_from_its_address(server: tuple[Server, str]) -> None:
    running, key = server
    for _ in range(3):
        assert running.client.get("/v1/jobs", headers={"x-api-key": "sk_wrong"}).status_code == 401
    refused = running.client.get("/v1/jobs", headers={"x-api-key": "sk_wrong"})
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert running.client.get("/v1/jobs", headers={"x-api-key": key}).status_code == 200
    # X-Forwarded-For from a client the operator did not list is not believed: the guesser stays limited.
    dodge = {"x-api-key": "sk_wrong", "X-Forwarded-For": "203.0.113.9"}
    assert running.client.get("/v1/jobs", headers=dodge).status_code == 429


def test_forwarded_addresses_count_only_from_listed_proxies(tmp_path: Path) -> None:
    env = environment(tmp_path / "data", auth_failures_per_minute="2", forwarded_allow_ips="127.0.0.1")
    running = Server(env, tmp_path / "serve.log", "--no-worker")
    try:
        running.wait_ready()
        # Behind the listed proxy (here: this test, from loopback) each client is counted as itself.
        first = {"x-api-key": "sk_wrong", "X-Forwarded-For": "203.0.113.1"}
        for _ in range(2):
            assert running.client.get("/v1/jobs", headers=first).status_code == 401
        assert running.client.get("/v1/jobs", headers=first).status_code == 429
        second = {"x-api-key": "sk_wrong", "X-Forwarded-For": "203.0.113.2"}
        assert running.client.get("/v1/jobs", headers=second).status_code == 401
    finally:
        running.stop()


def test_an_idle_kept_alive_connection_is_not_cut_at_the_head_deadline(server: tuple[Server, str]) -> None:
    """Between requests the keep-alive (75 s) governs, not the head deadline: a client's pooled connection
    is never answered 408 or closed under it while it waits (the soak's ReadErrors, bench/soak.py)."""
    running, _ = server
    connection = connect(running)
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    connection.sendall(request)
    assert read_response(connection).startswith(b"HTTP/1.1 200")
    connection.settimeout(3 * SECONDS)
    with pytest.raises(TimeoutError):  # three head deadlines pass: nothing is sent, nothing is closed
        connection.recv(65536)
    connection.sendall(request)
    connection.settimeout(10)
    assert read_response(connection).startswith(b"HTTP/1.1 200")
    connection.close()


def read_response(connection: socket.socket) -> bytes:
    """One whole response (its head and Content-Length bytes of body), however the segments fall."""
    connection.settimeout(10)
    data = b""
    while b"\r\n\r\n" not in data:
        data += connection.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(
        next(
            line.split(b":")[1] for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")
        )
    )
    while len(body) < length:
        body += connection.recv(65536)
    return head + b"\r\n\r\n" + body


def test_each_request_is_one_line_of_the_access_log_unless_it_is_turned_off(
    server: tuple[Server, str], tmp_path: Path
) -> None:
    line = 'GET /healthz?seen=1 HTTP/1.1" 200'
    running, _ = server
    assert running.client.get("/healthz?seen=1").status_code == 200
    running.wait_for_output(line, 10)
    quiet = Server(environment(tmp_path / "data", access_log="0"), tmp_path / "serve.log", "--no-worker")
    try:
        quiet.wait_ready()
        assert quiet.client.get("/healthz?seen=1").status_code == 200
        assert quiet.client.get("/healthz?seen=2").status_code == 200
    finally:
        quiet.stop()
    assert "/healthz?seen=" not in quiet.output()  # stopped: its output is all written
