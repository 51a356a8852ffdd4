"""Which Host names the service answers: the URLs it hands out are built from the request's Host, so a
stranger's `Host: attacker.example` must never reach a route (SFUMATO_ALLOWED_HOSTS, docs/deployment.md)."""

from urllib.parse import urlsplit

from starlette.types import Scope

from sfumato.domain.errors import InvalidParameter

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
ANY_HOST_PATHS = ("/healthz", "/readyz", "/metrics")  # probes and scrapers come by address; no URLs in them


def allowed_hosts(listed: str, *, bound: str, public_base_url: str) -> frozenset[str] | None:
    """The Host names answered (lower case, no port), or None for any (`*`). Unset: the loopback names,
    the address the server listens on (unless every address) and the public base URL's host."""
    names = [name.strip().lower() for name in listed.split(",") if name.strip()]
    if "*" in names:
        return None
    if not names:
        names = [*LOOPBACK_NAMES, bound.strip("[]").lower()]
        if public_base_url:
            names.append((urlsplit(public_base_url).hostname or "").lower())
    return frozenset(name.strip("[]") for name in names if name and name not in ("0.0.0.0", "::"))


def host_name(header: str) -> str:
    """A Host header's name: lower case, without its port; an IPv6 address without its brackets."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].split("]", 1)[0]
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def refused_host(scope: Scope, hosts: frozenset[str] | None) -> InvalidParameter | None:
    """400 for a Host the operator did not allow (None: any host, or a path probes reach by address)."""
    if hosts is None or scope["path"] in ANY_HOST_PATHS:
        return None
    for name, value in scope["headers"]:
        if name == b"host":
            if host_name(value.decode("latin-1")) in hosts:
                return None
            break
    return InvalidParameter(
        "this server does not answer to that host name (SFUMATO_ALLOWED_HOSTS)",
        param="Host",
        code="host_not_allowed",
    )
