"""The content policy over HTTP: 403 content_policy_violation on every dialect, nothing queued or
charged; the operator's file replaces the shipped list and SFUMATO_BLOCKED_TERMS adds to it."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from sfumato.config import Settings
from sfumato.engine.pipeline import DiffusersEngine
from sfumato.services.startup import content_policy
from tests.conftest import SMALL, Deployment, Live, start_live


@pytest.fixture
def app(deployment: Deployment, tmp_path: Path, tiny_engine: DiffusersEngine) -> Iterator[Live]:
    rules = tmp_path / "policy.txt"
    rules.write_text("# the operator's own list\nzeppelin\nre:\\bsecret\\s+base\\b\n")
    settings = deployment.settings(
        tmp_path / "data", content_policy_file=str(rules), blocked_terms="walrus, tuba*"
    )
    yield from start_live(settings, tiny_engine, with_worker=False)


@pytest.mark.parametrize("prompt", ["a ZEPPELIN over Paris", "the secret  base", "a walrus", "tubas"])
@pytest.mark.parametrize(
    ("route", "extra"),
    [
        ("/v1/jobs", SMALL),
        ("/v1/images/imagine", {"name": "x", **SMALL}),
        ("/v1/images/generations", {"size": "256x256"}),
        ("/api/generate-image", {"width": 512, "height": 512}),
        ("/api/v1/image", SMALL),
    ],
)
def test_a_blocked_prompt_is_403_on_every_route_and_nothing_is_made(
    app: Live, route: str, extra: dict, prompt: str
) -> None:
    headers = app.key()
    answer = app.client.post(route, json={"prompt": prompt, **extra}, headers=headers)
    assert answer.status_code == 403, answer.text
    error = answer.json()["error"]
    assert (error["type"], error["code"], error["param"]) == (
        "permission_error",
        "content_policy_violation",
        "prompt",
    )
    assert app.client.get("/v1/jobs", headers=headers).json()["data"] == []
    assert app.client.get("/v1/usage", headers=headers).json()["images_used"] == 0


def test_the_operators_file_replaces_the_shipped_list(app: Live) -> None:
    answer = app.client.post("/v1/jobs", json={"prompt": "loli", **SMALL}, headers=app.key())
    assert answer.status_code == 202  # not in this operator's file


def test_the_shipped_list_is_the_default_and_none_turns_it_off(tmp_path: Path) -> None:
    shipped = content_policy(Settings(data_dir=tmp_path))
    assert shipped.matching_rule("loli art") == "loli"
    assert (
        content_policy(Settings(data_dir=tmp_path, content_policy_file="none")).matching_rule("loli") is None
    )
    with pytest.raises(ValueError, match="cannot read"):
        content_policy(Settings(data_dir=tmp_path, content_policy_file=str(tmp_path / "missing.txt")))
