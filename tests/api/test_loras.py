"""LoRA adapters over HTTP (docs/api.md §16): upload, list, read, delete; whose they are; what is refused,
with nothing stored (the storage and the table both looked at); the plan's bounds."""

import io
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest

from sfumato.engine.pipeline import DiffusersEngine
from tests.api.test_errors import assert_envelope
from tests.conftest import Deployment, Live, start_live
from tests.loras import bare_pickle, length_prefixed, pickled, tiny_flux_lora, tiny_lora, truncated

# A plan whose bounds the tests reach: one adapter a request, and room for two small files. The tiny LoRA
# with its text encoder's part is 84,968 bytes, without it 74,584 (diffusers 0.42, rank 4).
TIGHT = {
    "monthly_images": 100,
    "requests_per_minute": 1000,
    "reads_per_minute": 1000,
    "max_images_per_request": 1,
    "max_loras": 1,
    "lora_storage_bytes": 150_000,
}


@pytest.fixture(scope="module")
def app(
    tmp_path_factory: pytest.TempPathFactory, tiny_engine: DiffusersEngine, deployment: Deployment
) -> Iterator[Live]:
    settings = deployment.settings(tmp_path_factory.mktemp("loras"), plans={"tight": TIGHT})
    yield from start_live(settings, tiny_engine, with_worker=False)


def upload(app: Live, headers: dict[str, str], name: str, data: bytes, **form: str) -> dict:
    files = {"file": (f"{name}.safetensors", data, "application/octet-stream")}
    answer = app.client.post("/v1/loras", files=files, data={"name": name, **form}, headers=headers)
    return {"status": answer.status_code, **answer.json()}


def test_an_upload_records_the_family_rank_size_modules_and_trigger_words(app: Live) -> None:
    headers = app.key()
    data = tiny_lora(1, text=True)
    made = upload(app, headers, "ink-style", data, trigger_words="inkwash, sumi-e")
    assert made["status"] == 201, made
    assert made["id"].startswith("lora_") and made["object"] == "lora"
    assert (made["name"], made["family"], made["rank"], made["size"]) == ("ink-style", "sdxl", 4, len(data))
    # The file: four attention projections in each of the UNet's 8 attention blocks, and in each of the
    # text encoder's 2 layers.
    assert made["modules"] == {"unet": 32, "text_encoder": 8}
    assert made["trigger_words"] == ["inkwash", "sumi-e"] and made["shared"] is False
    shown = app.client.get(f"/v1/loras/{made['id']}", headers=headers).json()
    assert shown == {name: value for name, value in made.items() if name != "status"}


def test_the_list_pages_the_keys_own_and_the_shared_ones_never_another_keys(app: Live) -> None:
    headers, other = app.key(), app.key("other")
    own = [upload(app, headers, f"own-{index}", tiny_lora(index))["id"] for index in (1, 2, 3)]
    theirs = upload(app, other, "theirs", tiny_lora(4))["id"]
    shared = app.services.loras.add(None, name="house-style", source=_reader(tiny_lora(5))).id
    seen, after, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"after": after} if after else {})
        page = app.client.get("/v1/loras", params=params, headers=headers).json()
        seen += page["data"]
        pages += 1
        if not page["has_more"]:
            break
        after = page["next_cursor"]
    assert pages == 2
    assert [lora["id"] for lora in seen] == [shared, *reversed(own)]  # newest first
    assert [lora["shared"] for lora in seen] == [True, False, False, False]
    assert theirs not in {lora["id"] for lora in app.client.get("/v1/loras", headers=headers).json()["data"]}


def test_other_keys_lora_is_404_to_read_delete_or_use(app: Live) -> None:
    owner, other = app.key(), app.key("other")
    lora = upload(app, owner, "mine", tiny_lora(1))
    for answer in (
        app.client.get(f"/v1/loras/{lora['id']}", headers=other),
        app.client.delete(f"/v1/loras/{lora['id']}", headers=other),
    ):
        assert_envelope(answer, 404, "not_found_error", "not_found")
    for use in ({"id": lora["id"]}, {"name": "mine"}):
        answer = app.client.post("/v1/jobs", json={"prompt": "x", "loras": [use]}, headers=other)
        assert_envelope(answer, 404, "not_found_error", "not_found", "loras")
    assert app.client.get("/v1/jobs", headers=other).json()["data"] == []
    assert app.client.get(f"/v1/loras/{lora['id']}", headers=owner).status_code == 200


def test_delete_removes_the_row_and_the_file(app: Live) -> None:
    headers = app.key()
    lora = upload(app, headers, "going", tiny_lora(1))
    assert f"loras/{lora['id']}.safetensors" in app.stored("loras")
    answer = app.client.delete(f"/v1/loras/{lora['id']}", headers=headers)
    assert answer.status_code == 200 and answer.json() == {
        "id": lora["id"],
        "object": "lora",
        "deleted": True,
    }
    assert f"loras/{lora['id']}.safetensors" not in app.stored("loras")
    assert app.client.get(f"/v1/loras/{lora['id']}", headers=headers).status_code == 404


def test_a_shared_lora_is_the_operators_to_delete(app: Live) -> None:
    shared = app.services.loras.add(None, name="only-the-operator", source=_reader(tiny_lora(6)))
    answer = app.client.delete(f"/v1/loras/{shared.id}", headers=app.key())
    assert_envelope(answer, 403, "permission_error", "permission_denied")
    assert app.client.delete(f"/v1/loras/{shared.id}", headers=app.key(admin=True)).status_code == 200


@pytest.mark.parametrize(
    ("data", "says"),
    [
        (pickled(), "pickled checkpoint"),  # torch.save's zip
        (bare_pickle(), "pickled checkpoint"),  # a bare pickle, as a .ckpt
        (truncated(tiny_lora(1)), "not a complete safetensors file"),
        (length_prefixed(b"not json at all"), "not a complete safetensors file"),
        (b"", "empty"),
        (tiny_flux_lora(1), "does not fit any family served here"),  # FLUX's, on a server of SDXL's
    ],
    ids=["torch-save", "pickle", "truncated", "not-json", "empty", "another-family"],
)
def test_a_file_that_is_not_a_lora_of_a_served_family_is_400_naming_file_with_nothing_stored(
    app: Live, data: bytes, says: str
) -> None:
    headers = app.key()
    before = app.stored("loras")
    answer = app.client.post(
        "/v1/loras", files={"file": ("x.safetensors", data)}, data={"name": "bad"}, headers=headers
    )
    error = assert_envelope(answer, 400, "invalid_request_error", "parameter_invalid", "file")
    assert says in error["message"]
    assert app.stored("loras") == before  # the store
    listed = app.client.get("/v1/loras", headers=headers).json()["data"]
    assert [lora for lora in listed if not lora["shared"]] == []  # the table


@pytest.mark.parametrize(
    ("form", "param"),
    [({"name": "has:colon"}, "name"), ({"name": ""}, "name"), ({"name": "x", "family": "sd1"}, "family")],
)
def test_a_bad_name_or_family_is_400_naming_it(app: Live, form: dict, param: str) -> None:
    answer = app.client.post(
        "/v1/loras", files={"file": ("x.safetensors", tiny_lora(1))}, data=form, headers=app.key()
    )
    assert answer.status_code in (400, 422) and answer.json()["error"]["param"] == param


def test_a_name_is_the_keys_once(app: Live) -> None:
    headers = app.key()
    assert upload(app, headers, "twice", tiny_lora(1))["status"] == 201
    again = upload(app, headers, "twice", tiny_lora(2))
    assert (again["status"], again["error"]["param"]) == (409, "name")
    assert upload(app, app.key("another"), "twice", tiny_lora(2))["status"] == 201  # another key's name


def test_uploads_count_against_the_plans_lora_storage(app: Live) -> None:
    headers = app.key(plan="tight")  # 150,000 bytes
    first = upload(app, headers, "first", tiny_lora(1))  # 74,584
    second = upload(app, headers, "second", tiny_lora(2))  # 149,168 in all
    assert (first["status"], second["status"]) == (201, 201)
    before = app.stored("loras")
    third = upload(app, headers, "third", tiny_lora(3))
    assert third["status"] == 403 and third["error"]["code"] == "plan_forbidden"
    assert third["error"]["param"] == "file" and app.stored("loras") == before
    app.client.delete(f"/v1/loras/{first['id']}", headers=headers)
    assert upload(app, headers, "third", tiny_lora(3))["status"] == 201  # room again


def test_a_request_may_use_as_many_loras_as_the_plan_allows(app: Live) -> None:
    headers = app.key(plan="tight")  # max_loras 1
    one, two = upload(app, headers, "one", tiny_lora(1)), upload(app, headers, "two", tiny_lora(2))
    both = [{"id": one["id"]}, {"id": two["id"]}]
    answer = app.client.post("/v1/jobs", json={"prompt": "x", "loras": both}, headers=headers)
    assert answer.status_code == 403 and answer.json()["error"]["param"] == "loras"
    alone = app.client.post("/v1/jobs", json={"prompt": "x", "loras": both[:1]}, headers=headers)
    assert alone.status_code == 202, alone.text


@pytest.mark.parametrize(
    "loras",
    [
        [{"name": "w", "weight": 2.5}],
        [{"name": "w", "weight": -2.01}],
        [{"weight": 1}],
        [{"name": "w", "id": "lora_x"}],
        [{"name": "w"}, {"name": "w"}],
        [{"name": "w", "strength": 1}],
        "w",
    ],
)
def test_a_bad_loras_list_is_400_naming_loras(app: Live, loras: object) -> None:
    headers = app.key(plan="professional")
    assert upload(app, headers, "w", tiny_lora(1))["status"] == 201
    good = [{"name": "w", "weight": -2.0}]  # the bound itself: taken
    taken = app.client.post("/v1/jobs", json={"prompt": "x", "loras": good}, headers=headers)
    assert taken.status_code == 202, taken.text
    answer = app.client.post("/v1/jobs", json={"prompt": "x", "loras": loras}, headers=headers)
    assert answer.status_code == 400, answer.text
    assert answer.json()["error"]["param"].split(".")[0] == "loras"  # an unknown field: loras.0.strength


def _reader(data: bytes) -> BinaryIO:
    return io.BytesIO(data)


def test_an_upload_past_the_servers_file_bound_is_413(tmp_path: Path, deployment: Deployment) -> None:
    settings = deployment.settings(tmp_path / "data", lora_max_bytes=50_000)
    for live in start_live(settings, None, with_worker=False):
        answer = live.client.post(
            "/v1/loras",
            files={"file": ("big.safetensors", tiny_lora(1))},
            data={"name": "big"},
            headers=live.key(),
        )
        assert answer.status_code == 413
        assert live.stored("loras") == []
