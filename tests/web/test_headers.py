"""Security headers on every answer (web/headers.py): `nosniff` on JSON and image bytes alike, and keyed
answers kept out of shared caches."""

from tests.api.test_images import make_images, public_get
from tests.conftest import Live


def test_every_answer_says_nosniff_and_keyed_json_is_never_stored(live: Live) -> None:
    headers = live.key()
    listed = live.client.get("/v1/jobs", headers=headers)
    assert listed.headers["x-content-type-options"] == "nosniff"
    assert listed.headers["cache-control"] == "no-store"
    refused = live.client.get("/v1/jobs")  # no key: nothing of anyone's to keep out of caches
    assert refused.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in refused.headers


def test_image_bytes_say_nosniff_and_keep_the_cache_rule_of_their_route(live: Live) -> None:
    headers = live.key(plan="professional")
    (image,) = make_images(live, headers, 1)
    content = live.client.get(f"/v1/images/{image['id']}/content", headers=headers)
    assert content.headers["x-content-type-options"] == "nosniff"
    assert content.headers["cache-control"] == "private, max-age=3600"  # the key's own browser only
    published = live.client.post(f"/v1/images/{image['id']}/publish", headers=headers).json()
    public = public_get(live, published["url"])
    assert public.headers["x-content-type-options"] == "nosniff"
    assert "no-store" not in public.headers["cache-control"]  # a published image may be cached by anyone
