"""The SSRF guard: webhooks never reach this machine, its networks or a metadata service."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import httpx
import pytest

from sfumato.domain.errors import InvalidParameter
from sfumato.webhooks.guard import check_url
from sfumato.webhooks.transport import guarded_transport

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
        ("http://93.184.215.14/hook", "must be an https URL"),
        ("ftp://93.184.215.14/hook", "must be an https URL"),
        ("https:///hook", "has no host"),
        ("https://93.184.215.14:99999/hook", "not a valid URL"),
        ("not a url", "must be an https URL"),
    ],
)
def test_malformed_or_plain_http_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidParameter, match=message):
        check_url(url, allow_private=False)


def test_the_operator_may_allow_private_addresses_and_http() -> None:
    assert check_url("http://127.0.0.1:9/hook", allow_private=True)


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
        with pytest.raises(httpx.ConnectError, match="refused"):
            await client.get(f"http://rebind.example:{receiver}/")
