"""Where `sfumato serve` listens and the bounds of its connections (docs/deployment.md)."""

from pydantic import Field
from pydantic_settings import BaseSettings

from sfumato.config.base import PREFIX, shown


class ServingSettings(BaseSettings):
    model_config = PREFIX

    # Where `serve` listens, and the bounds of its connections.
    host: str = Field("127.0.0.1", description="where `serve` listens")
    port: int = Field(8000, description="where `serve` listens")
    forwarded_allow_ips: str = Field(
        "",
        description="the proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are believed: addresses or "
        "networks, comma-separated, `*` for any; empty: none, the connection's own address is the client's",
    )
    allowed_hosts: str = Field(
        "",
        description="the names clients may reach the service by (the `Host` header), comma-separated, "
        "`*` for any; others are answered 400",
        json_schema_extra=shown(
            "`localhost`, the loopback addresses, the listening address and the host of "
            "`SFUMATO_PUBLIC_BASE_URL`"
        ),
    )
    max_header_bytes: int = Field(
        65536, ge=4096, le=16 * 1024 * 1024, description="request line and headers, at most (431 past it)"
    )
    header_timeout_seconds: float = Field(
        10, gt=0, le=3600, description="a request's line and headers must arrive within this (408 past it)"
    )
    keep_alive_seconds: int = Field(
        75,
        ge=1,
        le=3600,
        description="an idle connection waits this long for its next request: longer than clients keep "
        "theirs (httpx 5 s), so a client never sends on a connection the server is closing",
    )
    access_log: bool = Field(
        True,
        description="one line per request on standard output (the client's address, the method, the path, "
        "the status); `0` where a proxy in front keeps that log (it costs a poll a few percent)",
    )
    body_timeout_seconds: float = Field(
        60, gt=0, le=3600, description="a request's body must arrive within this of its headers"
    )
    metrics_port: int | None = Field(
        None, ge=1, le=65535, description="`sfumato worker` only: serve that worker's `/metrics` on this port"
    )
