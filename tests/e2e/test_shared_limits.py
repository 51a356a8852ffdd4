"""Two API processes on one Redis (SFUMATO_REDIS_URL) share each key's count: a key's minute is
spent across both, not once per process."""

import time
from pathlib import Path

from tests.e2e.harness import Server, create_key, environment


def test_two_api_processes_count_one_minute_for_a_key(tmp_path: Path, redis_url: str) -> None:
    env = environment(tmp_path / "data", redis_url=redis_url)
    key = create_key(env, None, "--rpm", "5")
    servers = [Server(env, tmp_path / f"api{i}.log", "--no-worker") for i in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        # The counts are per minute of the wall clock here: start with the minute's end well away.
        if (left := 60 - time.time() % 60) < 10:
            time.sleep(left + 0.5)
        answers = [
            servers[i % 2].client.post(
                "/v1/jobs", json={"prompt": f"p{i}", "width": 256, "height": 256}, headers={"x-api-key": key}
            )
            for i in range(8)
        ]
    finally:
        for server in servers:
            server.stop()
    assert [a.status_code for a in answers] == [202] * 5 + [429] * 3
    assert [a.headers["RateLimit-Remaining"] for a in answers[:5]] == ["4", "3", "2", "1", "0"]
    assert {a.json()["error"]["code"] for a in answers[5:]} == {"rate_limit_exceeded"}
