"""`sfumato serve` and `sfumato worker`."""

import signal
import threading
from typing import Annotated

import typer

from sfumato.cli.common import (
    ModelsOption,
    app,
    database_of,
    fail,
    model_flags,
    preflight,
    settings_from,
    setup_logging,
)

MAKE_A_KEY = "./sfumato keys create --name me --admin"  # the README's command: an operator's key


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address to listen on (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port to listen on (default 8000)")] = None,
    model: ModelsOption = None,
    no_worker: Annotated[
        bool, typer.Option("--no-worker", help="API only; `sfumato worker` generates")
    ] = False,
) -> None:
    """Run the API server, with a worker in the same process unless --no-worker."""
    import uvicorn

    from sfumato.app import create_app

    settings = settings_from(host=host, port=port, **model_flags(model))
    setup_logging()
    preflight(settings, runs_model=not no_worker)
    typer.echo(
        f"sfumato: serving {settings.models.replace(',', ', ')} on http://{settings.host}:{settings.port} "
        f"with the database {database_of(settings)} and the images in {settings.storage_url} "
        f"(make a key: `{MAKE_A_KEY}`)",
        err=True,
    )
    from sfumato.http.draining import DrainingServer
    from sfumato.http.server import bounded_protocol

    application = create_app(settings, with_worker=not no_worker, freeze_heap=True)
    config = uvicorn.Config(
        application,
        host=settings.host,
        port=settings.port,
        # SIGTERM: running requests have SFUMATO_DRAIN_SECONDS to finish (api/draining.py).
        timeout_graceful_shutdown=max(1, round(settings.drain_seconds)),
        # Forwarded headers only from the proxies the operator lists: otherwise anyone could name their
        # own address (docs/deployment.md).
        timeout_keep_alive=settings.keep_alive_seconds,
        access_log=settings.access_log,
        proxy_headers=bool(settings.forwarded_allow_ips),
        forwarded_allow_ips=settings.forwarded_allow_ips or "",
        http=bounded_protocol(
            max_head_bytes=settings.max_header_bytes,
            head_seconds=settings.header_timeout_seconds,
            body_seconds=settings.body_timeout_seconds,
        ),
    )
    DrainingServer(config, application, drain_seconds=settings.drain_seconds).run()


@app.command()
def worker(model: ModelsOption = None) -> None:
    """Run a worker only: it claims jobs from the shared database until SIGTERM or Ctrl-C, then finishes
    the batch in hand within SFUMATO_DRAIN_SECONDS (or hands it back) and exits."""
    from sfumato.roots.worker import build_worker_root
    from sfumato.services.startup_heap import freeze_startup_heap, started

    settings = settings_from(**model_flags(model))
    setup_logging()
    preflight(settings, runs_model=True)
    root = build_worker_root(settings)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    if settings.metrics_port is not None:  # /metrics, and the probes' /healthz and /readyz
        from sfumato.http.probes import serve_probes

        serve_probes(settings.host, settings.metrics_port, root.metrics.registry, root.readiness.checks)
    root.start()
    models = ", ".join(root.worker.models)
    typer.echo(
        f"sfumato: worker {root.worker.name} on {models} with the database {database_of(settings)}; "
        "Ctrl-C to stop",
        err=True,
    )
    frozen = False
    while not stop.wait(0.5):
        if root.worker.error:
            root.close()
            fail(root.worker.error)
        if not frozen and started(root.worker):
            freeze_startup_heap()
            frozen = True
    root.worker.drain(settings.drain_seconds)
    root.close()
    typer.echo(f"sfumato: worker {root.worker.name} stopped", err=True)
