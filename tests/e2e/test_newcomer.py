"""The README's first steps as a newcomer runs them: serve, keys create, imagine, content, publish."""

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.harness import ROOT, Server, create_key, environment

WRAPPER = [str(ROOT / "sfumato")]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Server, dict[str, str]]]:
    env = environment(tmp_path / "data")
    del env["SFUMATO_MODEL"]  # the README says --model tiny on the command line
    process = Server(env, tmp_path / "serve.log", "--model", "tiny", command=WRAPPER)
    try:
        process.wait_ready()
        yield process, env
    finally:
        process.stop()


def test_the_readme_steps_work_from_the_wrapper(server: tuple[Server, dict[str, str]]) -> None:
    process, env = server
    key = create_key(env, command=WRAPPER)
    headers = {"Authorization": f"Bearer {key}"}

    image = process.client.post(
        "/v1/images/imagine", json={"name": "first", "prompt": "a red apple", "seed": 42}, headers=headers
    )
    assert image.status_code == 201, image.text
    image_id = image.json()["id"]
    assert (image.json()["width"], image.json()["height"]) == (1024, 1024)

    content = process.client.get(f"/v1/images/{image_id}/content", headers=headers)
    assert content.headers["content-type"] == "image/png" and content.content.startswith(b"\x89PNG")

    url = process.client.post(f"/v1/images/{image_id}/publish", headers=headers).json()["url"]
    assert url.startswith(process.url + "/p/")
    public = httpx.get(url)  # no key
    assert public.status_code == 200 and public.content == content.content

    assert "serving tiny on http://127.0.0.1" in process.output()
    # The key it tells a newcomer to make is the operator's own, in the database it serves from.
    assert "make a key: `./sfumato keys create --name me --admin`" in process.output()
    database = f"sqlite:///{Path(env['SFUMATO_DATA_DIR']).resolve() / 'sfumato.db'}"
    assert f"with the database {database}" in process.output()
    assert "Traceback" not in process.output()
