"""A real server on both deployments, for the tests that drive it with a client library over HTTP."""

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import TEMPLATE
from tests.e2e.harness import Process, Server, create_key, environment, scaled_env
from tests.servers import PostgresServer


@pytest.fixture(scope="module", params=["embedded", "scaled-out"])
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Callable[..., tuple[Server, str]]]:
    """Starts, once per module, one `sfumato serve` on SQLite and a folder; or an API with no worker and its
    worker in another process, on PostgreSQL, S3 and Redis (what a job shows then crosses between processes).
    Gives the server and a key on the professional plan; extra settings go to both processes."""
    processes: list[Process] = []

    def start(name: str, **settings: str) -> tuple[Server, str]:
        folder = tmp_path_factory.mktemp(name)
        if request.param == "embedded":
            env = environment(folder / "data", poll_seconds="0.2", **settings)
            processes.append(Server(env, folder / "serve.log"))
        else:
            postgres: PostgresServer = request.getfixturevalue("postgres")
            database_url = postgres.create_database(folder.name, template=TEMPLATE)
            s3, redis = request.getfixturevalue("s3"), request.getfixturevalue("redis_server")
            env = scaled_env(folder, database_url, s3, redis, **settings)
            processes.append(Server(env, folder / "api.log", "--no-worker"))
            processes.append(Process(["worker"], env, folder / "worker.log"))
        key = create_key(env, None, "--rpm", "1000", "--plan", "professional")
        running = processes[0]
        assert isinstance(running, Server)
        running.wait_ready()
        for worker in processes[1:]:
            worker.wait_for_output("ready with tiny")
        return running, key

    try:
        yield start
    finally:
        for process in processes:
            process.stop()
