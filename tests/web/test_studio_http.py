"""The studio's server side over plain HTTP, without a browser (docs/dashboard.md): the token count, the form
posted by its script and without one, a dropped PNG's settings, "Use these settings", the jobs' search, "the
same name", notices after an action, and revoking one's own key."""

import re

from fastapi.testclient import TestClient

from tests.api.test_images_in import made
from tests.conftest import SMALL, Live
from tests.imaging.test_infotext import A1111_TEXT, png_with
from tests.web.test_sessions import csrf_of, fresh_client, sign_in

JSON = {"Accept": "application/json"}


def browser(live: Live, **key: object) -> tuple[TestClient, dict[str, str], str]:
    """A signed-in browser of a new key; the key's API headers; the session's CSRF token."""
    headers = live.key("studio", plan="professional", **key)
    client = fresh_client(live)
    sign_in(client, headers["x-api-key"])
    return client, headers, csrf_of(client.get("/studio").text)


def test_the_prompts_tokens_are_counted_by_the_models_tokenizer(live: Live) -> None:
    client, _, _ = browser(live)
    # tiny's tokenizer has no merges: a token per character of each word (engine/tokenizer.py).
    assert client.get("/studio/tokens", params={"model": "tiny", "text": "a red fox"}).json() == {
        "tokens": 7,
        "limit": 75,
    }
    long = client.get("/studio/tokens", params={"model": "tiny", "text": "ab " * 40}).json()
    assert long == {"tokens": 80, "limit": 75}  # past what the text encoder reads: the page says so
    # A FLUX model reads with T5: a word mark and a token a letter, 256 tokens less its end (any model of
    # the catalogue: the fleet may serve one this process does not).
    flux = client.get("/studio/tokens", params={"model": "tiny-flux", "text": "a red fox"}).json()
    assert flux == {"tokens": 10, "limit": 255}
    refused = client.get("/studio/tokens", params={"model": "dall-e-3", "text": "x"})
    assert refused.status_code == 400 and refused.json()["error"]["param"] == "model"
    stranger = fresh_client(live).get(
        "/studio/tokens", params={"model": "tiny", "text": "x"}, follow_redirects=False
    )
    assert stranger.status_code == 303  # no session: to the sign-in


def test_the_studio_posts_a_job_that_asks_for_previews_and_refuses_a_prompt_of_spaces_at_its_field(
    live: Live,
) -> None:
    client, _, csrf = browser(live)
    fields = {"csrf_token": csrf, "model": "tiny", "width": "256", "height": "256", "steps": "2", "n": "1"}
    answer = client.post("/studio", data=fields | {"prompt": "a kite"}, headers=JSON)
    assert answer.status_code == 202, answer.text
    made_job = answer.json()
    assert made_job["events"] == f"/v1/jobs/{made_job['job']['id']}/events"
    job = client.get(f"/jobs/{made_job['job']['id']}/result").json()
    assert job["id"] == made_job["job"]["id"] and job["steps"] == 2
    blank = client.post("/studio", data=fields | {"prompt": "   "}, headers=JSON)
    assert blank.status_code == 400 and blank.json()["error"]["param"] == "prompt"
    page = client.post("/studio", data=fields | {"prompt": "   "})  # no script: the page again
    assert page.status_code == 400
    error = re.search(r'id="prompt-error"[^>]*>([^<]*)<', page.text)
    assert error is not None and error.group(1) == "prompt must not be empty"
    assert 'aria-invalid="true"' in page.text.split('id="prompt"')[1].split(">")[0]


def test_a_dropped_png_gives_its_settings_to_the_form(live: Live) -> None:
    client, headers, csrf = browser(live)
    theirs = client.post(
        "/studio/png",
        data={"csrf_token": csrf},
        files={"file": ("a1111.png", png_with({"parameters": A1111_TEXT}))},
    ).json()
    assert theirs["source"] == "AUTOMATIC1111"
    assert theirs["fields"] == {
        "model": "tiny",  # its model is not served here
        "prompt": "a lighthouse on a cliff, stormy sea, (dramatic light:1.2)",
        "negative_prompt": "blurry, lowres",
        "width": 832,
        "height": 1216,
        "steps": 20,
        "guidance_scale": 7.0,
        "seed": 965400086,
        "random_seed": False,
    }
    image = made(live, headers, prompt="a harbour", seed=5, steps=3, **SMALL)["images"][0]
    ours = client.get(f"/v1/images/{image['id']}/content", headers=headers).content
    mine = client.post("/studio/png", data={"csrf_token": csrf}, files={"file": ("ours.png", ours)}).json()
    assert mine["source"] == "Sfumato"
    assert (mine["fields"]["prompt"], mine["fields"]["seed"], mine["fields"]["steps"]) == ("a harbour", 5, 3)
    plain = client.post("/studio/png", data={"csrf_token": csrf}, files={"file": ("x.png", png_with({}))})
    assert plain.json() == {"source": None, "fields": {}}
    forged = client.post(
        "/studio/png", data={"csrf_token": "guessed"}, files={"file": ("x.png", png_with({}))}
    )
    assert forged.status_code == 403


def test_use_these_settings_fills_the_form_with_the_images_own_seed(live: Live) -> None:
    client, headers, _ = browser(live)
    job = made(live, headers, prompt="a paper boat", seed=40, n=2, steps=3, guidance_scale=1.5, **SMALL)
    second = job["images"][1]
    page = client.get("/studio", params={"settings": second["id"]}).text
    assert ">a paper boat</textarea>" in page
    assert 'id="seed" name="seed" type="number" min="0" max="2147483647" value="41"' in page  # seed + 1
    assert 'id="steps" name="steps" type="number" min="1" max="50" value="3"' in page
    assert 'id="n" name="n" type="number" min="1" max="10" value="1"' in page
    image_page = client.get(f"/gallery/{second['id']}").text
    assert f'href="/studio?settings={second["id"]}">Use these settings</a>' in image_page
    assert "<dt>Guidance</dt><dd>1.5</dd>" in image_page and "<dt>Steps</dt><dd>3</dd>" in image_page


def test_jobs_are_found_by_the_words_of_their_prompt_or_name_and_by_status(live: Live) -> None:
    client, headers, _ = browser(live)
    made(live, headers, prompt="a red fox in snow", **SMALL)
    made(live, headers, prompt="a blue whale", name="fox drawing", **SMALL)
    made(live, headers, prompt="a green field", **SMALL)

    def listed(**query: str) -> list[str]:
        page = client.get("/jobs", params=query).text
        return re.findall(r'<td data-label="Prompt">([^<]*)(?:<br>|</td>)', page)

    assert listed(q="fox") == ["a blue whale", "a red fox in snow"]
    assert listed(q="Snow FOX") == ["a red fox in snow"]
    assert listed(q="fox", status="failed") == []
    assert listed(q="field", model="tiny") == ["a green field"]
    assert len(listed()) == 3
    thumbnails = re.findall(r'<img class="thumb" src="([^"]+)" alt="([^"]+)"', client.get("/jobs").text)
    assert [alt for _, alt in thumbnails] == ["a green field", "a blue whale", "a red fox in snow"]
    assert all(client.get(src).headers["content-type"] == "image/png" for src, _ in thumbnails)


def test_the_same_name_is_a_name_a_person_gave_or_a_lineage(live: Live) -> None:
    client, headers, csrf = browser(live)
    first = made(live, headers, prompt="a red kite", **SMALL)["images"][0]
    twin = made(live, headers, prompt="a red kite", **SMALL)["images"][0]  # the same words, nobody's name
    transformed = client.post(
        f"/gallery/{first['id']}/transform", data={"csrf_token": csrf, "width": "128"}, follow_redirects=False
    )
    assert transformed.status_code == 303 and transformed.headers["location"].endswith("?done=transformed")
    child = transformed.headers["location"].split("/")[-1].split("?")[0]
    page = client.get(f"/gallery/{first['id']}").text
    assert f"/gallery/{child}" in page and f"/gallery/{twin['id']}" not in page
    given = [
        made(live, headers, prompt=p, name="harbour", **SMALL)["images"][0] for p in ("a boat", "a pier")
    ]
    assert f"/gallery/{given[1]['id']}" in client.get(f"/gallery/{given[0]['id']}").text


def test_publish_and_delete_say_what_they_did(live: Live) -> None:
    client, headers, csrf = browser(live)
    image = made(live, headers, **SMALL)["images"][0]
    published = client.post(f"/gallery/{image['id']}/publish", data={"csrf_token": csrf})
    assert "Published: the public URL below works without a key." in published.text
    deleted = client.post(f"/gallery/{image['id']}/delete", data={"csrf_token": csrf})
    assert "Deleted: the image, its file and its public URL are gone." in deleted.text
    assert "Deleted" not in client.get("/gallery?done=nonsense").text  # only the notices the pages know


def test_revoking_ones_own_key_asks_first_then_ends_the_session_with_a_message(live: Live) -> None:
    client, headers, csrf = browser(live, admin=True)
    own = live.services.access.keys.authenticate(headers["x-api-key"]).id
    asked = client.post(f"/admin/keys/{own}/revoke", data={"csrf_token": csrf})
    assert asked.status_code == 200 and "Revoke your own key?" in asked.text
    assert client.get("/v1/usage", headers=headers).status_code == 200  # not yet revoked
    done = client.post(f"/admin/keys/{own}/revoke", data={"csrf_token": csrf, "confirm": "yes"})
    assert done.url.path == "/signin"
    assert "Your key was revoked, so this session ended. Sign in with another key." in done.text
    assert client.get("/v1/usage", headers=headers).status_code == 401


def test_the_playgrounds_old_address_leads_to_the_studio(live: Live) -> None:
    client, _, _ = browser(live)
    moved = client.get("/playground", params={"job": "job_x"}, follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (303, "/studio?job=job_x")
    assert client.get("/playground").url.path == "/studio"
