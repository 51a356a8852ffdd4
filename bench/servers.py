"""A server process for a benchmark: started on a free port, waited for, stopped; its output in a log."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def sfumato_env(folder: Path, model: str, settings: list[str]) -> dict[str, str]:
    """The environment of a `sfumato` process of a benchmark: the caller's, but none of its SFUMATO_
    settings, a data folder of its own, this model, and `settings` (NAME=VALUE, e.g. batch_wait_ms=20)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SFUMATO_")}
    env |= {"SFUMATO_DATA_DIR": str(folder / "sfumato"), "SFUMATO_MODEL": model, "PYTHONUNBUFFERED": "1"}
    return env | {f"SFUMATO_{name.upper()}": value for name, value in (s.split("=", 1) for s in settings)}


def create_key(env: dict[str, str], name: str, *terms: str, cwd: Path = ROOT) -> str:
    """A key made with `sfumato keys create --name NAME TERMS…` in a benchmark's environment (in the
    checkout `cwd`): its secret."""
    created = subprocess.run(
        [sys.executable, "-m", "sfumato", "keys", "create", "--name", name, *terms, "--json"],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    return str(json.loads(created.stdout)["key"])


def unlimited_key(env: dict[str, str], name: str = "bench") -> str:
    """A key that no rate limit or quota holds back (a benchmark measures the service, not its limits)."""
    return create_key(
        env, name, "--plan", "enterprise", "--rpm", "100000000", "--monthly-images", "1000000000"
    )


class Running:
    """A server process, its address, and its log."""

    def __init__(
        self, command: list[str], env: dict[str, str], log: Path, port: int, *, cwd: Path = ROOT
    ) -> None:
        self.log = log
        self.url = f"http://127.0.0.1:{port}"
        self._file = log.open("wb")
        self.popen = subprocess.Popen(command, env=env, cwd=cwd, stdout=self._file, stderr=subprocess.STDOUT)

    def wait(self, path: str, seconds: float = 600) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.popen.poll() is not None:
                raise SystemExit(f"the server exited:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(self.url + path, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the server was not ready in {seconds:.0f} s:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(60)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        self._file.close()
