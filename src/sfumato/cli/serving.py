"""`sfumato serve` and `sfumato worker`."""

import signal
import threading
from typing import Annotated

import typer

from sfumato.cli.common import (
    ModelOption,
    app,
    database_of,
    fail,
    preflight,
    settings_from,
    setup_logging,
)

MAKE_A_KEY = "./sfumato keys create --name me --admin"  # the README's command: an operator's key


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on (default 8000)")] = None,
    model: ModelOption = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="API only; `sfumato worker` generates")
    ] = False,
) -> None:
    """Run the API server, with a worker in the same process unless --no-worker."""
    import uvicorn

    from sfumato.api.app import create_app

    settings = settings_from(host=host, port=port, model=model)
    setup_logging()
    preflight(settings, runs_model=not no_worker)
    typer.echo(
        f"sfumato: serving {settings.model} on http://{settings.host}:{settings.port} with the database "
        f"{database_of(settings)} and the images in {settings.storage_url} (make a key: `{MAKE_A_KEY}`)",
        err=True,
    )
    from sfumato.api.server import bounded_protocol

    uvicorn.run(
        create_app(settings, with_worker=not no_worker, freeze_heap=True),
        host=settings.host,
        port=settings.port,
        # Forwarded headers only from the proxies the operator lists: otherwise anyone could name their
        # own address (docs/deployment.md).
        timeout_keep_alive=settings.keep_alive_seconds,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or "",
        http=bounded_protocol(
            max_head_bytes=settings.max_header_bytes,
            head_seconds=settings.header_timeout_seconds,
            body_seconds=settings.body_timeout_seconds,
        ),
    )


@app.command()
def worker(model: ModelOption = None) -> None:
    """Run a worker only: it claims jobs from the shared database until SIGTERM or Ctrl-C."""
    from sfumato.services.container import build_services
    from sfumato.services.heap import freeze_startup_heap, started

    settings = settings_from(model=model)
    setup_logging()
    preflight(settings, runs_model=True)
    services = build_services(settings, with_worker=True)
    assert services.worker is not None
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if settings.metrics_port is not None:
        from prometheus_client import start_http_server

        start_http_server(settings.metrics_port, addr=settings.host, registry=services.metrics.registry)
    services.start()
    typer.echo(
        f"sfumato: worker {services.worker.name} on {settings.model} with the database "
        f"{database_of(settings)}; Ctrl-C to stop",
        err=True,
    )
    frozen = False
    while not stop.wait(0.5):
        if services.worker.error:
            services.close()
            fail(services.worker.error)
        if not frozen and started(services.worker):
            freeze_startup_heap()
            frozen = True
    services.close()
