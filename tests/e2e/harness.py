"""Real processes for end-to-end tests: `sfumato serve` / `sfumato worker` on a free port, with their logs."""

import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx

from tests.conftest import BUCKET
from tests.servers import RedisServer, S3Server, free_port
from tests.servers import wait_for as wait_until

ROOT = Path(__file__).resolve().parents[2]


def environment(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFUMATO_")}
    env |= {"SFUMATO_DATA_DIR": str(data_dir), "SFUMATO_MODEL": "tiny", "PYTHONUNBUFFERED": "1"}
    return env | {f"SFUMATO_{k.upper()}": v for k, v in settings.items()}


class Process:
    """One sfumato process; its output goes to a log file the test can read."""

    def __init__(
        self, args: list[str], env: dict[str, str], log: Path, *, command: list[str] | None = None
    ) -> None:
        self.log = log
        self._file = log.open("ab")
        self.popen = subprocess.Popen(
            (command or [sys.executable, "-m", "sfumato"]) + args,
            env=env,
            cwd=ROOT,
            stdout=self._file,
            stderr=subprocess.STDOUT,
        )

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, seconds: float = 120) -> None:
        wait_until(
            lambda: text in self.output(), seconds, f"{text!r} in {self.log.name}:\n{self.output()[-3000:]}"
        )

    def kill(self) -> None:
        """SIGKILL: no shutdown code runs, as in a power cut or the OOM killer."""
        self.popen.send_signal(signal.SIGKILL)
        self.popen.wait(30)
        self._file.close()

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(30)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._file.close()


class Server(Process):
    def __init__(
        self, env: dict[str, str], log: Path, *extra: str, command: list[str] | None = None, port: int = 0
    ) -> None:
        self.port = port or free_port()  # a port of its own, or the one a stopped server had
        super().__init__(["serve", "--port", str(self.port), *extra], env, log, command=command)
        self.url = f"http://127.0.0.1:{self.port}"
        self.client = httpx.Client(base_url=self.url, timeout=120)

    def wait_ready(self, seconds: float = 300) -> None:
        def ready() -> bool:
            assert self.popen.poll() is None, f"server exited:\n{self.output()[-3000:]}"
            try:
                return self.client.get("/readyz").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(ready, seconds, f"the server to be ready:\n{self.output()[-3000:]}")

    def stop(self) -> None:
        self.client.close()
        super().stop()


def unlimited_key(env: dict[str, str]) -> str:
    """A key the test's load never limits: limits are on trial elsewhere (tests/api/test_limits.py)."""
    return create_key(env, None, "--plan", "enterprise", "--rpm", "1000000", "--monthly-images", "1000000")


def create_key(env: dict[str, str], command: list[str] | None = None, *options: str) -> str:
    result = subprocess.run(
        (command or [sys.executable, "-m", "sfumato"])
        + ["keys", "create", "--name", "e2e", "--json", *options],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    import json

    return json.loads(result.stdout)["key"]


def scaled_env(
    tmp_path: Path, database_url: str, s3: S3Server, redis: RedisServer, **settings: str
) -> dict[str, str]:
    values = {
        "database_url": database_url,
        "storage_url": f"s3://{BUCKET}/{tmp_path.name}",
        "redis_url": redis.url,
        **s3.settings(),
        "poll_seconds": "1.0",  # the signals, not the polls, carry the work along
    }
    # One OpenMP thread per process: several CPU workers on one machine otherwise spin against each other.
    return environment(tmp_path / "data", **(values | settings)) | {"OMP_NUM_THREADS": "1"}
