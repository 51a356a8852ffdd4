"""Admin keys manage keys over HTTP (/v1/admin/keys); a revoked key is refused at its next request."""

import pytest

from tests.conftest import SMALL, Live


def test_only_admin_keys_may_manage_keys(live: Live) -> None:
    plain = live.key("plain")
    for method, path in [("GET", "/v1/admin/keys"), ("POST", "/v1/admin/keys/key_x/revoke")]:
        answer = live.client.request(method, path, headers=plain)
        assert answer.status_code == 403
        assert answer.json()["error"]["type"] == "permission_error"
    assert live.client.get("/v1/admin/keys").status_code == 401


def test_an_admin_creates_a_key_that_works_and_is_shown_once(live: Live) -> None:
    admin = live.key("admin", admin=True)
    created = live.client.post(
        "/v1/admin/keys", json={"name": "team", "plan": "professional", "rpm": 7}, headers=admin
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert (body["object"], body["name"], body["plan"], body["rpm"], body["admin"]) == (
        "api_key",
        "team",
        "professional",
        7,
        False,
    )
    assert body["key"].startswith(body["prefix"]) and body["revoked_at"] is None
    new = {"x-api-key": body["key"]}
    job = live.client.post("/v1/jobs", json={"prompt": "x", **SMALL}, headers=new)
    assert job.status_code == 202 and job.headers["RateLimit-Limit"] == "7"
    shown = live.client.get(f"/v1/admin/keys/{body['id']}", headers=admin).json()
    assert "key" not in shown and shown["prefix"] == body["prefix"]


def test_bad_key_terms_are_400_naming_the_field(live: Live) -> None:
    admin = live.key("admin", admin=True)
    for body, param in [
        ({"name": "x", "plan": "gold"}, "plan"),
        ({"name": "x", "rpm": 0}, "rpm"),
        ({"name": ""}, "name"),
        ({"name": "x", "secret": 1}, "secret"),
    ]:
        answer = live.client.post("/v1/admin/keys", json=body, headers=admin)
        assert answer.status_code == 400, body
        assert answer.json()["error"]["param"] == param


BEYOND = 10**30  # past every integer column: 500 before, not stored anywhere


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"name": "x", "rpm": BEYOND}, "rpm"),
        ({"name": "x", "monthly_images": BEYOND}, "monthly_images"),
        ({"name": "x", "rpm": 2**31}, "rpm"),
        ({"name": "x", "admin": "yes"}, "admin"),  # booleans are booleans
        ({"name": "x", "admin": 1}, "admin"),
        ({"name": "x", "monthly_images": False}, "monthly_images"),  # numbers are numbers
        ({"name": "x", "rpm": "60"}, "rpm"),
        ({"name": "x", "rpm": 60.0}, "rpm"),
    ],
)
def test_integers_past_the_database_and_loose_types_are_400(live: Live, body: dict, param: str) -> None:
    admin = live.key("admin", admin=True)
    live.key("target")
    created = live.client.post("/v1/admin/keys", json=body, headers=admin)
    assert created.status_code == 400, created.text
    assert created.json()["error"]["param"] == param
    assert created.json()["error"]["code"] == "parameter_invalid"
    if param != "admin":
        key_id = live.client.get("/v1/admin/keys", headers=admin).json()["data"][0]["id"]
        changed = live.client.patch(f"/v1/admin/keys/{key_id}", json={param: body[param]}, headers=admin)
        assert changed.status_code == 400, changed.text
        assert changed.json()["error"]["param"] == param
    names = [key["name"] for key in live.client.get("/v1/admin/keys", headers=admin).json()["data"]]
    assert "x" not in names


def test_the_largest_counts_the_database_holds_are_kept(live: Live) -> None:
    admin = live.key("admin", admin=True)
    body = {"name": "big", "rpm": 2**31 - 1, "monthly_images": 2**31 - 1}
    created = live.client.post("/v1/admin/keys", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert (created.json()["rpm"], created.json()["monthly_images"]) == (2**31 - 1, 2**31 - 1)


def test_keys_are_listed_newest_first_with_cursor_pages(live: Live) -> None:
    admin = live.key("admin", admin=True)
    made = [
        live.client.post("/v1/admin/keys", json={"name": f"k{i}"}, headers=admin).json()["id"]
        for i in range(3)
    ]
    first = live.client.get("/v1/admin/keys", params={"limit": 2}, headers=admin).json()
    assert [k["id"] for k in first["data"]] == made[::-1][:2] and first["has_more"]
    second = live.client.get(
        "/v1/admin/keys", params={"limit": 2, "after": first["next_cursor"]}, headers=admin
    ).json()
    assert second["data"][0]["id"] == made[0]
    assert all("key" not in k for k in first["data"] + second["data"])


def test_changing_the_plan_applies_at_the_next_request(live: Live) -> None:
    admin = live.key("admin", admin=True)
    created = live.client.post("/v1/admin/keys", json={"name": "grows"}, headers=admin).json()
    key = {"x-api-key": created["key"]}
    body = {"prompt": "x", "n": 2, **SMALL}
    assert live.client.post("/v1/jobs", json=body, headers=key).json()["error"]["code"] == "plan_forbidden"
    changed = live.client.patch(
        f"/v1/admin/keys/{created['id']}", json={"plan": "professional"}, headers=admin
    )
    assert changed.status_code == 200 and changed.json()["plan"] == "professional"
    accepted = live.client.post("/v1/jobs", json=body, headers=key)
    assert accepted.status_code == 202 and accepted.headers["RateLimit-Limit"] == "30"
    cleared = live.client.patch(f"/v1/admin/keys/{created['id']}", json={"rpm": 3}, headers=admin).json()
    assert (cleared["plan"], cleared["rpm"]) == ("professional", 3)
    unknown = live.client.patch("/v1/admin/keys/key_nope", json={"plan": "starter"}, headers=admin)
    assert unknown.status_code == 404


def test_a_revoked_key_is_refused_at_its_very_next_request(live: Live) -> None:
    admin = live.key("admin", admin=True)
    created = live.client.post("/v1/admin/keys", json={"name": "leaver"}, headers=admin).json()
    key = {"x-api-key": created["key"]}
    assert live.client.get("/v1/jobs", headers=key).status_code == 200
    revoked = live.client.post(f"/v1/admin/keys/{created['id']}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    refused = live.client.get("/v1/jobs", headers=key)
    assert refused.status_code == 401 and refused.json()["error"]["code"] == "invalid_api_key"
    assert live.client.post("/v1/jobs", json={"prompt": "x"}, headers=key).status_code == 401
