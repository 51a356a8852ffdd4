"""A worker process's own HTTP port (`SFUMATO_METRICS_PORT`): `/healthz` (the process answers), `/readyz` (200
once the database, the storage and the model are ready, 503 until then: what an orchestrator's readiness probe
reads) and, on every other path, its Prometheus metrics. prometheus-client's threaded WSGI server serves it
from a daemon thread; the API processes answer the same paths on their own port (api/routes/health.py)."""

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

Readiness = Callable[[], dict[str, str]]
StartResponse = Callable[..., Any]


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # a probe every few seconds is no news
        pass


def probes_app(registry: CollectorRegistry, readiness: Readiness) -> Callable[..., Iterable[bytes]]:
    metrics = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path not in ("/healthz", "/readyz"):
            return metrics(environ, start_response)
        body: dict[str, Any] = {"status": "ok"}
        status = "200 OK"
        if path == "/readyz":
            checks = readiness()
            ready = all(state == "ok" for state in checks.values())
            body = {"status": "ok" if ready else "not_ready", "checks": checks}
            status = "200 OK" if ready else "503 Service Unavailable"
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    return app


def serve_probes(
    host: str, port: int, registry: CollectorRegistry, readiness: Readiness
) -> ThreadingWSGIServer:
    """Serve from a daemon thread until the process ends (or `shutdown()`)."""

    class Server(ThreadingWSGIServer):
        pass

    if ":" in host:
        import socket

        Server.address_family = socket.AF_INET6
    server = make_server(host, port, probes_app(registry, readiness), Server, handler_class=_Quiet)
    threading.Thread(target=server.serve_forever, name="sfumato-probes", daemon=True).start()
    return server
