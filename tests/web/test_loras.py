"""The dashboard's LoRA page over plain HTTP (web/routes/loras.py): it lists the key's adapters and the shared
ones, uploads one (multipart, its CSRF token checked), says why a file is refused, and deletes."""

import io

import pytest

from tests.conftest import Live
from tests.loras import pickled, tiny_lora
from tests.web.signed import sign_in

WRONG = "x" * 32


def upload(live: Live, token: str | None, name: str, data: bytes):  # type: ignore[no-untyped-def]
    fields = {"name": name, "trigger_words": "ink, wash"} | ({"csrf_token": token} if token else {})
    files = {"file": (f"{name}.safetensors", data, "application/octet-stream")}
    return live.client.post("/loras", data=fields, files=files, follow_redirects=False)


def own(live: Live, headers: dict[str, str]) -> list[dict]:
    return [
        lora for lora in live.client.get("/v1/loras", headers=headers).json()["data"] if not lora["shared"]
    ]


def test_the_page_lists_the_keys_own_and_the_shared_ones_not_another_keys(live: Live) -> None:
    headers = live.key()
    live.services.loras.add(None, name="house-style", source=io.BytesIO(tiny_lora(5)))
    other, _ = live.services.keys.create("other")
    live.services.loras.add(other, name="someone-elses", source=io.BytesIO(tiny_lora(6)))
    token, _ = sign_in(live, headers)
    assert upload(live, token, "mine", tiny_lora(1)).status_code == 200
    page = live.client.get("/loras").text
    assert "mine" in page and "house-style" in page and "(shared)" in page
    assert "someone-elses" not in page
    assert 'aria-label="Delete house-style"' not in page  # a shared one is the operator's to delete


def test_an_upload_stores_it_and_says_so(live: Live) -> None:
    headers = live.key()
    token, _ = sign_in(live, headers)
    answer = upload(live, token, "ink", tiny_lora(1, text=True))
    assert answer.status_code == 200 and "Stored ink (sdxl, rank 4)." in answer.text
    (stored,) = own(live, headers)
    assert (stored["name"], stored["trigger_words"]) == ("ink", ["ink", "wash"])


@pytest.mark.parametrize("token", [None, WRONG])
def test_an_upload_without_its_csrf_token_is_refused_and_stores_nothing(
    live: Live, token: str | None
) -> None:
    headers = live.key()
    sign_in(live, headers)
    before = live.stored("loras")
    answer = upload(live, token, "ink", tiny_lora(1))
    assert answer.status_code == 403 and "Form refused" in answer.text
    assert own(live, headers) == [] and live.stored("loras") == before


def test_a_refused_file_is_said_on_the_page_with_nothing_stored(live: Live) -> None:
    headers = live.key()
    token, _ = sign_in(live, headers)
    before = live.stored("loras")
    answer = upload(live, token, "old", pickled())
    assert answer.status_code == 400 and "file is a pickled checkpoint" in answer.text
    assert own(live, headers) == [] and live.stored("loras") == before


def test_delete_removes_it(live: Live) -> None:
    headers = live.key()
    token, _ = sign_in(live, headers)
    upload(live, token, "going", tiny_lora(2))
    (stored,) = own(live, headers)
    refused = live.client.post(f"/loras/{stored['id']}/delete", data={"csrf_token": WRONG})
    assert refused.status_code == 403 and len(own(live, headers)) == 1
    answer = live.client.post(
        f"/loras/{stored['id']}/delete", data={"csrf_token": token}, follow_redirects=False
    )
    assert (answer.status_code, answer.headers["location"]) == (303, "/loras")
    assert own(live, headers) == [] and f"loras/{stored['id']}.safetensors" not in live.stored("loras")
