"""The studio's "LoRA" choice (docs/dashboard.md, "The studio"): the key's own and the shared adapters of the
chosen model's family, each at a weight; the job runs them, an image's page names them, and "Use these
settings" brings them back. The form's rows read without a server; in Chromium against a real server that has
`GET /v1/loras` (docs/api.md §16), skipped only where that route is absent."""

import httpx
import pytest
from playwright.sync_api import Page, expect

from sfumato.web.studio_form import form_of_loras, loras_of
from tests.web.conftest import Site, screenshot
from tests.web.test_studio import fill, key_headers


def test_the_forms_rows_are_the_requests_loras_each_at_its_weight() -> None:
    fields = {
        "lora_1": "lora_a",
        "lora_weight_1": "0.8",
        "lora_2": "",
        "lora_weight_2": "1",
        "lora_3": "lora_c",
    }
    assert loras_of(fields) == [{"id": "lora_a", "weight": 0.8}, {"id": "lora_c", "weight": 1.0}]
    assert loras_of({"lora_1": " ", "lora_weight_1": "2"}) == []  # none chosen: no `loras` at all
    public = {
        "loras": [{"id": "lora_a", "name": "ink", "weight": 0.8}, {"id": "lora_b", "name": "x", "weight": -1}]
    }
    assert form_of_loras(public) == {
        "lora_1": "lora_a",
        "lora_weight_1": 0.8,
        "lora_2": "lora_b",
        "lora_weight_2": -1,
    }
    assert form_of_loras({}) == {}


def uploaded(site: Site, name: str, data: bytes) -> dict:  # type: ignore[type-arg]
    answer = httpx.post(
        f"{site.url}/v1/loras",
        files={"file": (f"{name}.safetensors", data)},
        data={"name": name},
        headers=key_headers(site),
        timeout=60,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


@pytest.mark.browser
def test_a_lora_of_the_models_family_is_picked_at_its_weight_and_runs(
    sized: Page, site: Site, width: str
) -> None:
    if httpx.get(f"{site.url}/v1/loras", headers=key_headers(site)).status_code == 404:
        pytest.skip("this server has no GET /v1/loras (LoRA adapters, docs/api.md §16)")
    from tests.loras import tiny_flux_lora, tiny_lora  # with the adapters' own test helpers

    page = sized
    ink = uploaded(site, f"ink-{width}", tiny_lora(3))
    flux = uploaded(site, f"flux-ink-{width}", tiny_flux_lora(3))
    page.reload()
    picker = page.get_by_label("LoRA", exact=True)

    def offered() -> list[str]:
        return [text.split(" · ")[0] for text in picker.locator("option:not([hidden])").all_text_contents()]

    assert ink["name"] in offered() and flux["name"] not in offered()  # tiny is an SDXL model
    page.get_by_label("Model").select_option("tiny-flux")
    assert flux["name"] in offered() and ink["name"] not in offered()
    page.get_by_label("Model").select_option("tiny")
    picker.select_option(ink["id"])
    page.get_by_label("Weight", exact=True).fill("0.8")
    fill(page, f"an ink heron {width}")
    page.locator("#lora-note").scroll_into_view_if_needed()  # the rows above it in view
    screenshot(page, f"studio-lora-{width}", full_page=False)
    page.get_by_role("button", name="Generate").click()
    result = page.get_by_role("region", name="Result")
    made = result.get_by_role("img", name=f"an ink heron {width}")
    expect(made).to_be_visible(timeout=120_000)
    job_id = str(result.get_by_role("link", name="This job's page").get_attribute("href")).rsplit("/", 1)[-1]
    job = httpx.get(f"{site.url}/v1/jobs/{job_id}", headers=key_headers(site)).json()
    assert job["params"]["loras"] == [{"id": ink["id"], "name": ink["name"], "weight": 0.8}]
    made.click()  # the image's page names it, and its settings bring it back
    expect(page.locator("dl.facts").get_by_text(f"{ink['name']} at 0.8")).to_be_visible()
    page.get_by_role("link", name="Use these settings").click()
    expect(page.get_by_label("LoRA", exact=True)).to_have_value(ink["id"])
    expect(page.get_by_label("Weight", exact=True)).to_have_value("0.8")
