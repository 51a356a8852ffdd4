"""The SSRF guard: webhooks never reach this machine, its networks or a metadata service."""

import ipaddress
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpcore
import httpx
import pytest

from sfumato.domain.errors import InvalidParameter
from sfumato.webhooks.guard import allowed_addresses, blocked, check_url, system_resolver
from sfumato.webhooks.transport import GuardedBackend, guarded_transport

REFUSED = [
    ("127.0.0.1", "loopback"),
    ("127.1.2.3", "loopback"),
    ("2130706433", "loopback"),  # 127.0.0.1 as one decimal number
    ("0x7f.1", "loopback"),  # hexadecimal, short form
    ("017700000001", "loopback"),  # octal
    ("localhost", "loopback"),
    ("0.0.0.0", "unspecified"),
    ("10.1.2.3", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.254", "private"),
    ("192.168.1.1", "private"),
    ("100.64.0.1", "carrier-grade NAT"),
    ("169.254.169.254", "cloud metadata"),
    ("169.254.1.1", "link-local"),
    ("224.0.0.1", "multicast"),
    ("[::1]", "loopback"),
    ("[::]", "unspecified"),
    ("[::ffff:127.0.0.1]", "loopback"),  # IPv4-mapped IPv6
    ("[::ffff:a9fe:a9fe]", "cloud metadata"),  # 169.254.169.254, mapped, in hex
    ("[64:ff9b::a00:1]", "private"),  # NAT64 of 10.0.0.1
    ("[2002:7f00:1::]", "loopback"),  # 6to4 of 127.0.0.1
    ("[::7f00:1]", "loopback"),  # IPv4-compatible 127.0.0.1, in hex
    ("[::127.0.0.1]", "loopback"),  # the same, dotted
    ("[::a9fe:a9fe]", "cloud metadata"),  # IPv4-compatible 169.254.169.254
    ("[::a00:1]", "private"),  # IPv4-compatible 10.0.0.1
    ("[64:ff9b:1::a00:1]", "local-use NAT64"),  # RFC 8215: the network's own translator
    ("[64:ff9b:1:ffff::1]", "local-use NAT64"),
    # Refused by the catch-all "not global" rule alone: no named range holds them.
    ("192.0.2.1", "not a public address"),  # TEST-NET-1
    ("198.18.0.1", "not a public address"),  # benchmarking
    ("[2001:db8::1]", "not a public address"),  # documentation
    ("[fe80::1]", "link-local"),
    ("[fc00::1]", "private"),
    ("[fd00:ec2::254]", "cloud metadata"),
    ("[ff02::1]", "multicast"),
]


@pytest.mark.parametrize(("host", "reason"), REFUSED)
def test_private_and_special_addresses_are_refused(host: str, reason: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        check_url(f"https://{host}/hook", allow_private=False)
    assert refused.value.param == "webhook_url"
    assert f"({reason})" in refused.value.message


@pytest.mark.parametrize("host", ["93.184.215.14", "8.8.8.8", "[2606:4700:4700::1111]"])
def test_public_addresses_pass(host: str) -> None:
    assert check_url(f"https://{host}/hook", allow_private=False) == f"https://{host}/hook"


def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return {"mixed.example": ["93.184.215.14", "10.0.0.1"], "fine.example": ["93.184.215.14"]}[host]

    with pytest.raises(InvalidParameter, match=r"resolves to 10\.0\.0\.1 \(private\)"):
        check_url("https://mixed.example/hook", allow_private=False, resolve=resolve)
    check_url("https://fine.example:8443/hook", allow_private=False, resolve=resolve)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://93.184.215.14/hook", "webhook_url must be an https URL"),
        ("ftp://93.184.215.14/hook", "webhook_url must be an https URL"),
        ("https:///hook", "webhook_url has no host"),
        ("https://93.184.215.14:99999/hook", "webhook_url is not a valid URL: Port out of range 0-65535"),
        ("not a url", "webhook_url must be an https URL"),
        ("https://93.184.215.14/" + "a" * 1979, "webhook_url must be at most 2000 characters"),
        ("https://a..example/hook", "webhook_url's host 'a..example' is not a valid host name"),
        ("https://" + "a" * 64 + ".example/hook", f"webhook_url's host '{'a' * 64}.example' is not a valid"),
        ("https://no-such-host.invalid/hook", "webhook_url's host 'no-such-host.invalid' does not resolve: "),
    ],
)
def test_malformed_or_plain_http_urls_are_refused_naming_the_field(url: str, message: str) -> None:
    with pytest.raises(InvalidParameter) as refused:
        check_url(url, allow_private=False)
    assert refused.value.param == "webhook_url"
    assert refused.value.message.startswith(message)


def test_a_url_of_2000_characters_is_the_longest_accepted() -> None:
    longest = "https://93.184.215.14/" + "a" * 1978
    assert len(longest) == 2000
    assert check_url(longest, allow_private=False) == longest


def test_the_operator_may_allow_private_addresses_and_http() -> None:
    assert check_url("http://127.0.0.1:9/hook", allow_private=True)
    assert check_url("https://[::1]/hook", allow_private=True)
    with pytest.raises(InvalidParameter) as refused:
        check_url("ftp://127.0.0.1/hook", allow_private=True)
    assert refused.value.message == "webhook_url must be an https or http URL"
    assert refused.value.param == "webhook_url"


@pytest.mark.parametrize(
    ("url", "port"),
    [
        ("https://hooks.example/a", 443),
        ("http://hooks.example/a", 80),
        ("https://hooks.example:8443/a", 8443),
    ],
)
def test_the_host_is_resolved_for_the_port_the_url_would_use(url: str, port: int) -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.215.14"]

    check_url(url, allow_private=True, resolve=resolve)
    assert asked == [("hooks.example", port)]


def test_a_name_that_resolves_to_nothing_is_refused() -> None:
    with pytest.raises(InvalidParameter) as refused:
        allowed_addresses("empty.example", 443, allow_private=True, resolve=lambda host, port: [])
    assert refused.value.message == "webhook_url's host 'empty.example' does not resolve"
    assert refused.value.param == "webhook_url"


def test_allowed_addresses_are_every_answer_in_order_and_a_refusal_names_the_first_refused() -> None:
    answers = ["93.184.215.14", "8.8.8.8", "127.0.0.1", "10.0.0.1"]
    assert allowed_addresses("h.example", 443, allow_private=True, resolve=lambda h, p: answers) == [
        ipaddress.ip_address(answer) for answer in answers
    ]
    with pytest.raises(InvalidParameter) as refused:
        allowed_addresses("h.example", 443, allow_private=False, resolve=lambda h, p: answers)
    assert refused.value.message == (
        "webhook_url's host 'h.example' resolves to 127.0.0.1 (loopback), which webhooks may not reach"
    )
    assert refused.value.param == "webhook_url"


def test_the_system_resolver_gives_numeric_addresses_without_their_zone() -> None:
    assert system_resolver("fe80::1%lo", 443) == ["fe80::1"]
    assert system_resolver("127.0.0.1", 80) == ["127.0.0.1"]
    assert system_resolver("2130706433", 80) == ["127.0.0.1"]


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("::", "unspecified"),
        ("::1", "loopback"),
        ("::2", "unspecified"),  # IPv4-compatible 0.0.0.2: the forms above ::1 hold an IPv4 address
        ("::ffff:0:2", "unspecified"),  # mapped 0.0.0.2
        ("64:ff9b::808:808", None),  # NAT64 of 8.8.8.8: public
        ("2002:808:808::", None),  # 6to4 of 8.8.8.8: public
        ("::808:808", None),  # IPv4-compatible 8.8.8.8
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("233.252.0.1", "multicast"),
        ("ff0e::1", "multicast"),
        ("fec0::1", "site-local"),
        ("100::1", "not a public address"),  # discard-only, no named range
        ("93.184.215.14", None),
    ],
)
def test_each_address_form_is_judged_by_where_it_leads(address: str, reason: str | None) -> None:
    assert blocked(ipaddress.ip_address(address)) == reason


class _Ok(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), _Ok)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()


@pytest.mark.anyio
async def test_the_transport_refuses_at_connection_time(receiver: int) -> None:
    async with httpx.AsyncClient(transport=guarded_transport(allow_private=False)) as client:
        with pytest.raises(httpx.ConnectError, match=r"refused: .*\(loopback\)"):
            await client.get(f"http://127.0.0.1:{receiver}/")
    async with httpx.AsyncClient(transport=guarded_transport(allow_private=True)) as client:
        assert (await client.get(f"http://127.0.0.1:{receiver}/")).text == "ok"


@pytest.mark.anyio
async def test_a_name_that_changes_its_answer_after_the_check_is_refused(receiver: int) -> None:
    answers = iter([["93.184.215.14"], ["127.0.0.1"]])  # public when submitted, loopback when sent

    def rebinding(host: str, port: int) -> list[str]:
        return next(answers)

    check_url("https://rebind.example/hook", allow_private=False, resolve=rebinding)
    transport = guarded_transport(allow_private=False, resolve=rebinding)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError, match=r"refused: .* resolves to 127\.0\.0\.1 \(loopback\)"):
            await client.get(f"http://rebind.example:{receiver}/")


class _Inner:
    """The network backend under GuardedBackend: records what it is asked to do."""

    def __init__(self) -> None:
        self.calls: list[tuple[object, ...]] = []

    async def connect_tcp(self, *arguments: object) -> Any:
        self.calls.append(("connect_tcp", *arguments))
        return "stream"

    async def sleep(self, seconds: float) -> None:
        self.calls.append(("sleep", seconds))


@pytest.mark.anyio
async def test_the_backend_connects_to_the_first_allowed_address_with_the_callers_options() -> None:
    asked: list[tuple[str, int]] = []

    def resolve(host: str, port: int) -> list[str]:
        asked.append((host, port))
        return ["93.184.215.14", "8.8.8.8"]

    backend = GuardedBackend(allow_private=False, resolve=resolve)
    backend.inner = _Inner()  # type: ignore[assignment]
    stream = await backend.connect_tcp("hooks.example", 8443, 2.5, "192.0.2.9", [(1, 2, 3)])
    assert stream == "stream"
    assert asked == [("hooks.example", 8443)]
    assert backend.inner.calls == [("connect_tcp", "93.184.215.14", 8443, 2.5, "192.0.2.9", [(1, 2, 3)])]  # type: ignore[attr-defined]
    await backend.sleep(0.25)
    assert backend.inner.calls[-1] == ("sleep", 0.25)  # type: ignore[attr-defined]


@pytest.mark.anyio
async def test_the_backend_never_opens_a_unix_socket() -> None:
    backend = GuardedBackend(allow_private=True)
    with pytest.raises(httpcore.ConnectError) as refused:
        await backend.connect_unix_socket("/run/docker.sock")
    assert str(refused.value) == "webhooks do not go to unix sockets"


def test_the_transport_sends_through_the_guarded_backend_without_retrying() -> None:
    def resolve(host: str, port: int) -> list[str]:
        return []

    pool = guarded_transport(allow_private=True, resolve=resolve)._pool
    backend = pool._network_backend
    assert isinstance(backend, GuardedBackend)
    assert backend.allow_private is True and backend.resolve is resolve
    assert pool._retries == 0
    assert pool._ssl_context is not None and pool._ssl_context.verify_mode == ssl.CERT_REQUIRED
