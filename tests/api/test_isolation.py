"""A key sees only what it created: another key's job or image answers exactly like a missing one."""

import pytest

from tests.conftest import SMALL, Live


@pytest.fixture(scope="module")
def owned(live: Live) -> dict:
    owner = live.key("owner", plan="professional")
    job = live.client.post(
        "/v1/jobs", json={"prompt": "mine", "n": 2, **SMALL}, headers=owner | {"Prefer": "wait=60"}
    ).json()
    assert job["status"] == "succeeded"
    queued = live.client.post(
        "/v1/jobs", json={"prompt": "mine too", "width": 1024, "height": 1024, "steps": 50}, headers=owner
    ).json()
    return {"owner": owner, "job": job["id"], "queued": queued["id"], "image": job["images"][0]["id"]}


ROUTES = [
    ("GET", "/v1/jobs/{job}"),
    ("POST", "/v1/jobs/{queued}/cancel"),
    ("GET", "/v1/images/{image}"),
    ("GET", "/v1/images/{image}/content"),
    ("POST", "/v1/images/{image}/publish"),
    ("POST", "/v1/images/{image}/unpublish"),
    ("DELETE", "/v1/images/{image}"),
]


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_keys_objects_answer_404_like_missing_ones(
    live: Live, owned: dict, method: str, route: str
) -> None:
    stranger = live.key("stranger")
    theirs = live.client.request(method, route.format(**owned), headers=stranger)
    missing = live.client.request(
        method,
        route.format(job="job_" + "0" * 24, queued="job_" + "0" * 24, image="image_" + "0" * 24),
        headers=stranger,
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["error"]["code"] == missing.json()["error"]["code"] == "not_found"


def test_lists_show_only_the_keys_own(live: Live, owned: dict) -> None:
    stranger = live.key("stranger")
    assert live.client.get("/v1/jobs", headers=stranger).json()["data"] == []
    assert live.client.get("/v1/images", headers=stranger).json()["data"] == []
    name = live.client.get(f"/v1/images/{owned['image']}", headers=owned["owner"]).json()["name"]
    assert live.client.get("/v1/images", params={"name": name}, headers=stranger).json()["data"] == []


def test_the_owner_still_has_everything_after_the_strangers_tries(live: Live, owned: dict) -> None:
    owner = owned["owner"]
    for method, route in ROUTES:  # what a stranger did must not have touched any of it
        live.client.request(method, route.format(**owned), headers=live.key("another stranger"))
    assert live.client.get(f"/v1/images/{owned['image']}", headers=owner).json()["url"] is None
    assert live.client.get(f"/v1/images/{owned['image']}/content", headers=owner).status_code == 200
    assert live.client.get(f"/v1/jobs/{owned['queued']}", headers=owner).json()["status"] != "canceled"
    assert len(live.client.get("/v1/images", headers=owner).json()["data"]) == 2
    live.client.post(f"/v1/jobs/{owned['queued']}/cancel", headers=owner)


def test_a_stranger_changes_nothing_of_a_published_image_on_any_mutating_route(live: Live) -> None:
    owner = live.key("publisher", plan="professional")
    job = live.client.post(
        "/v1/jobs", json={"prompt": "public", **SMALL}, headers=owner | {"Prefer": "wait=60"}
    )
    image = job.json()["images"][0]["id"]
    url = live.client.post(f"/v1/images/{image}/publish", headers=owner).json()["url"]
    stranger = live.key("vandal")
    for method, path, body in [
        ("POST", f"/v1/images/{image}/unpublish", None),
        ("POST", f"/v1/images/{image}/publish", None),
        ("POST", f"/v1/images/{image}/transform", {"format": "jpeg"}),
        ("DELETE", f"/v1/images/{image}", None),
        ("POST", f"/v1/jobs/{job.json()['id']}/cancel", None),
    ]:
        answer = live.client.request(method, path, json=body, headers=stranger)
        assert answer.status_code == 404, (method, path, answer.text)
    # Still published at the same address, still the owner's only image, nothing made for anyone.
    assert live.client.get(f"/v1/images/{image}", headers=owner).json()["url"] == url
    assert live.client.get(url.removeprefix("http://testserver")).status_code == 200
    assert [i["id"] for i in live.client.get("/v1/images", headers=owner).json()["data"]] == [image]
    assert live.client.get("/v1/images", headers=stranger).json()["data"] == []
