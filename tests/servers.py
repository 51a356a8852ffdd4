"""The real servers the scaled-out configuration runs on, started by the tests on free loopback ports:
a PostgreSQL cluster in a temporary folder, moto's S3 server, redis-server.

scripts/system-packages installs PostgreSQL and Redis from the system's packages where they are
missing; moto comes with the test dependencies. PostgreSQL refuses to run as root, so when the
tests run as root the cluster is created and run as the `postgres` user.
"""

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _postgres_bin(name: str) -> str:
    found = shutil.which(name) or next(
        iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None
    )
    if found is None:
        raise RuntimeError(f"PostgreSQL's {name} is missing: run scripts/system-packages (scripts/test does)")
    return found


class PostgresServer:
    """A throwaway cluster: trust authentication on 127.0.0.1, no fsync (the tests need speed, not
    durability across power cuts; a restart by pg_ctl keeps everything)."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="sfumato-pg-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(self.folder, user.pw_uid, user.pw_gid)
            self._as_user = ["runuser", "-u", "postgres", "--"]
        initdb = [_postgres_bin("initdb"), "-D", str(self.data), "-U", "postgres", "-A", "trust"]
        self._run(*initdb, "-E", "UTF8", "--no-sync", "--no-instructions")
        self.start()

    def _run(self, *command: str) -> None:
        subprocess.run([*self._as_user, *command], check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=500 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            _postgres_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start"
        )

    def stop(self, mode: str = "fast") -> None:
        """fast: every connection is cut at once, as when PostgreSQL restarts under a running service."""
        self._run(_postgres_bin("pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str, database: str = "postgres") -> None:
        import psycopg

        with psycopg.connect(self.url(database), autocommit=True) as connection:
            connection.execute(sql)

    def create_database(self, name: str, template: str | None = None) -> str:
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        return self.url(name)

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


class S3Server:
    """moto's S3 server in a process of its own, like a MinIO the tests can throw away."""

    access_key_id = "sfumato-test"
    secret_access_key = "sfumato-test-secret"
    region = "us-east-1"

    def __init__(self, log: Path) -> None:
        self.port = free_port()
        self.endpoint_url = f"http://127.0.0.1:{self.port}"
        self._log = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

        def answers() -> bool:
            assert self.process.poll() is None, f"moto exited:\n{log.read_text()[-2000:]}"
            try:
                return httpx.get(self.endpoint_url + "/moto-api/", timeout=2).status_code < 500
            except httpx.TransportError:
                return False

        wait_for(answers, 60, "moto's S3 server")

    def client(self):  # type: ignore[no-untyped-def]
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name=self.region,
            aws_access_key_id=self.access_key_id,
            aws_secret_access_key=self.secret_access_key,
        )

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def settings(self) -> dict[str, str]:
        """The SFUMATO_S3_* settings that reach this server."""
        return {
            "s3_endpoint_url": self.endpoint_url,
            "s3_region": self.region,
            "s3_access_key_id": self.access_key_id,
            "s3_secret_access_key": self.secret_access_key,
        }

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self._log.close()


class RedisServer:
    def __init__(self, folder: Path) -> None:
        import redis

        binary = shutil.which("redis-server")
        if binary is None:
            raise RuntimeError("redis-server is missing: run scripts/system-packages (scripts/test does)")
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.client = redis.Redis.from_url(self.url)

        def answers() -> bool:
            try:
                return bool(self.client.ping())
            except redis.ConnectionError:
                return False

        wait_for(answers, 30, "redis-server")

    def flush(self) -> None:
        self.client.flushall()

    def close(self) -> None:
        self.client.close()
        self.process.terminate()
        self.process.wait(30)
