"""Names nobody gave (docs/api.md §5): the images of a request without `name` are called by the prompt's
first words, not "untitled", on every route that makes images."""

from tests.conftest import SMALL, Live


def test_images_without_a_name_are_called_by_the_prompts_first_words(live: Live) -> None:
    headers = live.key()
    job = live.client.post(
        "/v1/jobs",
        json={"prompt": "A lighthouse at dusk, waves crashing on the rocks", **SMALL},
        headers=headers | {"Prefer": "wait=60"},
    ).json()
    assert job["params"]["name"] == "a lighthouse at dusk waves crashing"
    assert job["images"][0]["name"] == "a lighthouse at dusk waves crashing"
    named = live.client.get(
        "/v1/images", params={"name": "a lighthouse at dusk waves crashing"}, headers=headers
    )
    assert [image["id"] for image in named.json()["data"]] == [job["images"][0]["id"]]


def test_a_name_given_is_kept_as_given(live: Live) -> None:
    headers = live.key()
    job = live.client.post(
        "/v1/jobs", json={"prompt": "a lighthouse", "name": "Harbour", **SMALL}, headers=headers
    ).json()
    assert job["params"]["name"] == "Harbour"


def test_the_openai_dialect_names_its_images_by_their_prompt_too(live: Live) -> None:
    headers = live.key()
    live.client.post(
        "/v1/images/generations", json={"prompt": "Two foxes; snow", "size": "256x256"}, headers=headers
    )
    listed = live.client.get("/v1/images", headers=headers).json()["data"]
    assert [image["name"] for image in listed] == ["two foxes snow"]
