"""Where webhooks may go: never to this machine, its network, or a cloud's metadata service (SSRF).

An address is checked where the request would go: the host is resolved with the system's resolver
(so numeric forms such as `2130706433` or `0x7f.1` mean what they mean to a connection), and every
address it resolves to must be a public one. At submission the whole URL is checked; at connection
time the guarded network backend resolves again and connects only to an address that passed, so a
name that changes its answer in between (DNS rebinding) gains nothing. The operator may allow
private addresses and plain http (`SFUMATO_WEBHOOKS_ALLOW_PRIVATE=1`) for development and tests.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from urllib.parse import urlsplit

from sfumato.domain.errors import InvalidParameter

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

# Named ranges first, for a message a person understands; anything else not global is refused too.
_RANGES: list[tuple[str, str]] = [
    ("0.0.0.0/8", "unspecified"),
    ("127.0.0.0/8", "loopback"),
    ("10.0.0.0/8", "private"),
    ("172.16.0.0/12", "private"),
    ("192.168.0.0/16", "private"),
    ("100.64.0.0/10", "carrier-grade NAT"),
    ("169.254.169.254/32", "cloud metadata"),
    ("169.254.0.0/16", "link-local"),
    ("224.0.0.0/4", "multicast"),
    ("240.0.0.0/4", "reserved"),
    ("::/128", "unspecified"),
    ("::1/128", "loopback"),
    ("fd00:ec2::254/128", "cloud metadata"),
    ("fc00::/7", "private"),
    ("fe80::/10", "link-local"),
    ("fec0::/10", "site-local"),
    ("ff00::/8", "multicast"),
]
_NETWORKS = [(ipaddress.ip_network(network), name) for network, name in _RANGES]
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Deprecated IPv4-compatible addresses (`::a.b.c.d`, RFC 4291 2.5.5.1): a stack may still reach the IPv4 one.
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Local-use NAT64 (RFC 8215): the network's own translator, which puts the IPv4 address wherever its prefix
# length says, so no one place to read it from: refused whole.
_LOCAL_NAT64 = ipaddress.ip_network("64:ff9b:1::/48")


def blocked(address: IPAddress) -> str | None:
    """Why webhooks may not reach this address, or None for a public one."""
    if isinstance(address, ipaddress.IPv6Address):
        # IPv4 inside IPv6 reaches the IPv4 address: judge that one.
        if address in _LOCAL_NAT64:
            return "local-use NAT64"
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in _NAT64 or (address in _IPV4_COMPATIBLE and int(address) > 1)):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return blocked(embedded)
    for network, name in _NETWORKS:
        if address.version == network.version and address in network:
            return name
    if not address.is_global or address.is_multicast:
        return "not a public address"
    return None


def system_resolver(host: str, port: int) -> list[str]:
    """Every address the system's resolver gives for host, as a connection would see them."""
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as error:
        raise InvalidParameter(
            f"webhook_url's host {host!r} does not resolve: {error}", param="webhook_url"
        ) from None
    except UnicodeError:  # a label empty or over 63 characters: no name the resolver can encode
        raise InvalidParameter(
            f"webhook_url's host {host!r} is not a valid host name", param="webhook_url"
        ) from None
    return [str(answer[4][0]).split("%")[0] for answer in answers]


def allowed_addresses(
    host: str, port: int, *, allow_private: bool, resolve: Resolver = system_resolver
) -> list[IPAddress]:
    """The addresses host may be reached at; InvalidParameter naming the first refused one."""
    addresses = [ipaddress.ip_address(text) for text in resolve(host, port)]
    if not addresses:
        raise InvalidParameter(f"webhook_url's host {host!r} does not resolve", param="webhook_url")
    if not allow_private:
        for address in addresses:
            if (reason := blocked(address)) is not None:
                raise InvalidParameter(
                    f"webhook_url's host {host!r} resolves to {address} ({reason}), "
                    "which webhooks may not reach",
                    param="webhook_url",
                )
    return addresses


def check_url(url: str, *, allow_private: bool, resolve: Resolver = system_resolver) -> str:
    """A webhook URL fit to deliver to, as given; InvalidParameter saying why not."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidParameter(f"webhook_url is not a valid URL: {error}", param="webhook_url") from None
    schemes = ("https", "http") if allow_private else ("https",)
    if parts.scheme not in schemes:
        raise InvalidParameter(f"webhook_url must be an {' or '.join(schemes)} URL", param="webhook_url")
    if not parts.hostname:
        raise InvalidParameter("webhook_url has no host", param="webhook_url")
    if len(url) > 2000:
        raise InvalidParameter("webhook_url must be at most 2000 characters", param="webhook_url")
    default = 443 if parts.scheme == "https" else 80
    allowed_addresses(parts.hostname, port or default, allow_private=allow_private, resolve=resolve)
    return url
