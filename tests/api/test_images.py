"""GET/DELETE /v1/images[/{id}], content, publish, unpublish, and the public URL."""

from urllib.parse import urlparse

import pytest

from tests.conftest import SMALL, Deployment, Live


def make_images(live: Live, headers: dict, count: int, name: str = "batch") -> list[dict]:
    job = live.client.post(
        "/v1/jobs",
        json={"prompt": "x", "n": count, "name": name, **SMALL},
        headers=headers | {"Prefer": "wait=60"},
    ).json()
    assert job["status"] == "succeeded", job
    return job["images"]


def public_get(live: Live, url: str):  # type: ignore[no-untyped-def]
    return live.client.get(urlparse(url).path)  # no key


def test_images_are_listed_newest_first_and_filtered_by_name(live: Live) -> None:
    headers = live.key(plan="professional")
    cats = make_images(live, headers, 2, name="cat")
    dogs = make_images(live, headers, 1, name="dog")
    everything = live.client.get("/v1/images", headers=headers).json()
    listed = [i["id"] for i in everything["data"]]
    # Newest first; the images of one job share their moment, so they come in a fixed but unspecified order.
    assert listed[0] == dogs[0]["id"] and set(listed[1:]) == {cats[0]["id"], cats[1]["id"]}
    named = live.client.get("/v1/images?name=cat", headers=headers).json()
    assert {i["id"] for i in named["data"]} == {c["id"] for c in cats}
    assert live.client.get("/v1/images?name=bird", headers=headers).json()["data"] == []


def test_image_pages_follow_the_cursor_without_gaps_or_repeats(live: Live) -> None:
    headers = live.key(plan="professional")
    made = make_images(live, headers, 5)
    seen, cursor = [], None
    while True:
        page = live.client.get(
            "/v1/images?limit=2" + (f"&after={cursor}" if cursor else ""), headers=headers
        ).json()
        seen += [i["id"] for i in page["data"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert sorted(seen) == sorted(i["id"] for i in made) and len(seen) == 5


def test_an_image_is_read_by_id(live: Live) -> None:
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    assert live.client.get(f"/v1/images/{image['id']}", headers=headers).json() == image


def test_deleting_an_image_removes_its_row_and_its_file(live: Live) -> None:
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    key = live.services.images.get(
        live.services.keys.authenticate(headers["x-api-key"]), image["id"]
    ).storage_key
    folder = key.rsplit("/", 1)[0]
    assert key in live.stored(folder)
    response = live.client.delete(f"/v1/images/{image['id']}", headers=headers)
    assert response.json() == {"id": image["id"], "object": "image", "deleted": True}
    assert key not in live.stored(folder)
    assert live.client.get(f"/v1/images/{image['id']}", headers=headers).status_code == 404
    assert live.client.get(f"/v1/images/{image['id']}/content", headers=headers).status_code == 404
    assert live.client.delete(f"/v1/images/{image['id']}", headers=headers).status_code == 404


def test_publishing_gives_a_url_that_works_without_a_key(live: Live) -> None:
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    published = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()
    assert published["url"].startswith("http://testserver/p/") and published["url"].endswith(".png")
    response = public_get(live, published["url"])
    assert response.status_code == 200 and response.headers["content-type"] == "image/png"
    assert response.content == live.client.get(f"/v1/images/{image['id']}/content", headers=headers).content
    assert live.client.get(f"/v1/images/{image['id']}", headers=headers).json()["url"] == published["url"]


def test_publishing_twice_keeps_the_same_url(live: Live) -> None:
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    first = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"]
    assert live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"] == first


def test_published_urls_are_unguessable(live: Live) -> None:
    headers = live.key(plan="professional")
    images = make_images(live, headers, 3)
    urls = [live.client.post(f"/v1/images/{i['id']}/publish", headers=headers).json()["url"] for i in images]
    tokens = [urlparse(url).path.removeprefix("/p/").split(".")[0] for url in urls]
    assert len(set(tokens)) == 3
    assert all(len(token) >= 32 for token in tokens)  # 192 random bits, base64url
    assert all(image["id"].split("_", 1)[1] not in url for image, url in zip(images, urls, strict=True))
    assert (
        public_get(
            live, urls[0].replace(tokens[0], tokens[0][:-1] + ("A" if tokens[0][-1] != "A" else "B"))
        ).status_code
        == 404
    )


def test_unpublishing_stops_the_url_and_a_new_publish_gets_a_new_one(live: Live) -> None:
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    url = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"]
    assert live.client.post(f"/v1/images/{image['id']}/unpublish", headers=headers).json()["url"] is None
    gone = public_get(live, url)
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    again = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"]
    assert again != url and public_get(live, again).status_code == 200


def test_deleting_stops_the_url(live: Live) -> None:
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    url = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"]
    live.client.delete(f"/v1/images/{image['id']}", headers=headers)
    assert public_get(live, url).status_code == 404


@pytest.mark.parametrize("base", ["https://images.example.com", "https://example.com/sfumato"])
def test_urls_use_the_configured_public_base_url(
    live: Live, base: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live.services.settings, "public_base_url", base)
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    url = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"]
    assert url.startswith(f"{base}/p/")


def test_expired_images_are_gone_from_every_route(deployment: Deployment, tmp_path, tiny_engine) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import ManualClock, start_live

    clock = ManualClock()
    for live in start_live(
        deployment.settings(tmp_path / "data", retention_days=30), tiny_engine, clock=clock
    ):
        headers = live.key(plan="professional")
        (image,) = make_images(live, headers, 1)
        url = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()["url"]
        clock.advance(days=29)
        assert live.client.get(f"/v1/images/{image['id']}", headers=headers).status_code == 200
        clock.advance(days=1, seconds=1)
        for route in ("", "/content"):
            assert live.client.get(f"/v1/images/{image['id']}{route}", headers=headers).status_code == 404
        assert public_get(live, url).status_code == 404
        assert live.client.get("/v1/images", headers=headers).json()["data"] == []
        assert live.client.get(f"/v1/jobs/{image['job_id']}", headers=headers).json()["images"] == []
