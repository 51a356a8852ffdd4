"""Schemathesis against a running `sfumato serve --model tiny`: every operation of /openapi.json, with the
links between creating, reading and deleting that the schema states, from a fixed seed and a bounded number
of examples. No answer is a 5xx the schema does not promise, none has a status or a body the schema does
not document. The API runs without a worker (jobs stay queued, synchronous routes time out with their
documented 503 `generation_timeout`, the one 5xx allowed: tests/api/schemathesis.toml) so the run measures
the API, not the CPU's patience with 2048x2048 images."""

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.e2e.harness import Server, create_key, environment

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
# What the semantics of the routes refuse and a JSON schema cannot say (an empty prompt, a size the model
# does not make) is not a violation; nor is AUTOMATIC1111's leniency, which its clients rely on.


def test_schemathesis_finds_no_server_error_and_no_undocumented_answer(tmp_path: Path) -> None:
    env = environment(
        tmp_path / "data",
        auth_failures_per_minute="1000000",  # schemathesis tries wrong keys on purpose, often
        plans=json.dumps({"enterprise": {"reads_per_minute": 1000000, "requests_per_minute": 1000000}}),
        max_queued_jobs="20",
        max_wait_seconds="1",
        default_wait_seconds="1",
    )
    server = Server(env, tmp_path / "serve.log", "--no-worker")
    try:
        server.wait_ready()
        key = create_key(env, None, "--plan", "enterprise", "--admin", "--monthly-images", "1000000")
        schemathesis = Path(sys.executable).parent / "schemathesis"
        result = subprocess.run(
            [
                str(schemathesis),
                "--config-file",
                str(Path(__file__).with_name("schemathesis.toml")),
                "run",
                f"{server.url}/openapi.json",
                "--header",
                f"x-api-key: {key}",
                "--checks",
                ",".join(CHECKS),
                "--max-examples",
                "5",
                "--seed",
                "20261201",
                "--workers",
                "2",
                "--request-timeout",
                "30",
                "--max-time",
                "35",
                "--no-color",
                "--report",
                "junit",
                "--report-dir",
                str(tmp_path / "report"),
            ],
            env={**os.environ, "SCHEMATHESIS_HOOKS": ""},
            capture_output=True,
            text=True,
            timeout=400,
        )
        output = result.stdout + result.stderr
        assert result.returncode == 0, output[-8000:]
        assert "Tested: " in output and " 0 " not in output.split("Tested: ", 1)[1][:3], output[-3000:]
        assert "Traceback" not in server.output(), server.output()[-5000:]
    finally:
        server.stop()
