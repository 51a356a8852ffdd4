"""The job-style dialect: its documented example request, as written, then polling until completed."""

from tests.conftest import SMALL, Live, polled

# The seed document's example body, as it is written there.
EXAMPLE = {
    "seed": 42,
    "width": 512,
    "height": 768,
    "prompt": "a red apple on a white table, photorealistic, 4k",
    "negative_prompt": "blurry, low quality, distorted",
}


def poll(live: Live, job_id: str, headers: dict[str, str], seconds: float = 60) -> dict:
    def read() -> dict:
        answer = live.client.get(f"/api/v1/image/{job_id}", headers=headers)
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    return polled(read, lambda body: body["status"] != "processing", seconds)


def test_the_documented_example_is_accepted_then_completed_with_a_key_free_url(live: Live) -> None:
    headers = live.key() | {"Content-Type": "application/json"}
    answer = live.client.post("/api/v1/image", json=EXAMPLE, headers=headers)
    assert answer.status_code == 201
    accepted = answer.json()
    assert set(accepted) == {"job_id", "status"} and accepted["status"] == "processing"
    done = poll(live, accepted["job_id"], headers)
    assert (done["status"], done["seed"], done["width"], done["height"]) == ("completed", 42, 512, 768)
    assert done["error"] is None and done["image_urls"] == [done["image_url"]]
    path = done["image_url"].removeprefix("http://testserver")
    image = live.client.get(path)  # no key
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_fields_it_does_not_know_are_ignored_and_numbers_may_be_strings(live: Live) -> None:
    body = {"prompt": "x", "seed": "7", "width": "256", "height": 256, "sampler": "euler_a"}
    answer = live.client.post("/api/v1/image", json=body, headers=live.key())
    assert answer.status_code == 201, answer.text


def test_bad_input_is_400_naming_the_field(live: Live) -> None:
    answer = live.client.post("/api/v1/image", json={"prompt": "x", "width": 500}, headers=live.key())
    assert answer.status_code == 400
    assert answer.json()["error"]["param"] == "width"
    missing = live.client.post("/api/v1/image", json={"seed": 1}, headers=live.key())
    assert (missing.status_code, missing.json()["error"]["code"]) == (400, "parameter_missing")


def test_without_a_key_it_is_401(live: Live) -> None:
    answer = live.client.post("/api/v1/image", json=EXAMPLE)
    assert (answer.status_code, answer.json()["error"]["type"]) == (401, "authentication_error")


def test_delete_removes_the_job_its_images_and_their_files(live: Live) -> None:
    headers = live.key()
    job_id = live.client.post("/api/v1/image", json={"prompt": "x", **SMALL}, headers=headers).json()[
        "job_id"
    ]
    done = poll(live, job_id, headers)
    assert done["status"] == "completed"
    assert len(live.stored(job_id)) == 1
    answer = live.client.delete(f"/api/v1/image/{job_id}", headers=headers)
    assert answer.status_code == 200 and answer.json() == {"job_id": job_id, "deleted": True}
    assert live.stored(job_id) == []
    assert live.client.get(f"/api/v1/image/{job_id}", headers=headers).status_code == 404
    assert live.client.get(done["image_url"].removeprefix("http://testserver")).status_code == 404
    assert live.client.delete(f"/api/v1/image/{job_id}", headers=headers).status_code == 404


def test_another_keys_job_is_not_found(live: Live) -> None:
    job_id = live.client.post("/api/v1/image", json={"prompt": "x", **SMALL}, headers=live.key()).json()[
        "job_id"
    ]
    other = live.key("other")
    assert live.client.get(f"/api/v1/image/{job_id}", headers=other).status_code == 404
    assert live.client.delete(f"/api/v1/image/{job_id}", headers=other).status_code == 404
