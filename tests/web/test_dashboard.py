"""The dashboard in a real browser (Chromium, through Playwright) against a real `sfumato serve --model tiny`:
what a person with a key does there, found by the accessible names a screen reader uses."""

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.loras import tiny_lora
from tests.web.conftest import Site, screenshot, sign_in

pytestmark = pytest.mark.browser


def generate(page: Page, prompt: str, *, n: int = 1, size: int = 256, steps: int = 4, name: str = "") -> str:
    """Fill the studio and press Generate; once the images are in, the job's id."""
    page.goto("/studio")
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Width").fill(str(size))
    page.get_by_label("Height").fill(str(size))
    page.get_by_label("Steps").fill(str(steps))
    page.get_by_label("Number of images").fill(str(n))
    if name:
        page.get_by_label("Name").fill(name)
    page.get_by_role("button", name="Generate").click()
    result = page.get_by_role("region", name="Result")
    expect(result.get_by_role("link", name="This job's page")).to_be_visible()
    job = str(result.get_by_role("link", name="This job's page").get_attribute("href")).rsplit("/", 1)[1]
    expect(result.get_by_role("img", name=prompt)).to_have_count(n, timeout=120_000)
    return job


def test_signing_in_takes_an_api_key_and_signing_out_ends_the_session(
    context: BrowserContext, site: Site
) -> None:
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    screenshot(page, "01-sign-in")
    page.get_by_label("API key").fill("sfm_wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("invalid API key")).to_be_visible()
    page.get_by_label("API key").fill(site.admin_key)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Studio")).to_be_visible()
    cookie = next(c for c in context.cookies() if c["name"] == "sfumato_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and site.admin_key not in cookie["value"]
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.goto("/gallery")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_job_page_follows_the_job_then_shows_its_images_without_a_reload(admin_page: Page) -> None:
    page = admin_page
    job = generate(page, "two foxes in the snow", n=2, size=256, steps=2, name="foxes")
    page.goto(f"/jobs/{job}")
    expect(page.get_by_role("img", name="two foxes in the snow")).to_have_count(2)
    expect(page.get_by_text("succeeded").first).to_be_visible()
    screenshot(page, "04-job-done")
    assert page.get_by_role("button", name="Copy curl").count() == 1
    page.get_by_role("button", name="Same again with a new seed").click()
    page.wait_for_url(re.compile(r".*/jobs/job_\w+$"))
    # The page follows the new job from its events, then shows its images in place.
    expect(page.get_by_role("img", name="two foxes in the snow")).to_have_count(2, timeout=120_000)
    expect(page.locator("[data-result-state]")).to_have_text("succeeded")


def test_images_are_found_by_name_published_transformed_and_deleted(
    admin_page: Page, browser: Browser
) -> None:
    page = admin_page
    generate(page, "a red kite over a beach", name="kite")
    page.goto("/gallery")
    page.get_by_label("Name").fill("kite")
    page.get_by_role("button", name="Search").click()
    # The search is a navigation: the page before it showed the kite too, so wait for the answer's address.
    expect(page).to_have_url(re.compile(r"[?&]name=kite"))
    expect(page.get_by_role("img", name="a red kite over a beach")).to_have_count(1)
    screenshot(page, "05-gallery")
    page.get_by_role("img", name="a red kite over a beach").click()
    expect(page.get_by_role("heading", name="kite")).to_be_visible()
    expect(page.get_by_role("heading", name="Content credentials")).to_be_visible()
    credentials = page.locator("#content-credentials")
    expect(credentials).to_contain_text("valid, trusted")
    expect(credentials).to_contain_text("c2pa.created (trainedAlgorithmicMedia)")
    original = page.url.rsplit("/", 1)[-1]
    page.get_by_role("button", name="Publish").click()
    expect(page.get_by_text("Published: the public URL below works without a key.")).to_be_visible()
    public = page.locator("#public-url").get_attribute("href")
    assert public is not None and "/p/" in public
    screenshot(page, "06-image")
    stranger = browser.new_context()  # no session: the public URL needs none
    answer = stranger.request.get(public)
    assert answer.status == 200 and answer.headers["content-type"] == "image/png"
    stranger.close()

    page.get_by_label("Width").fill("128")
    page.get_by_role("button", name="Transform").click()
    expect(page.get_by_text("Transformed: this is the new image; the original is unchanged.")).to_be_visible()
    expect(page.get_by_text("128x128")).to_be_visible()
    expect(credentials).to_contain_text(f"{original} (parentOf, made with tiny)")  # what it was made from
    transformed = page.url

    page.get_by_role("link", name="Delete").click()
    expect(page.get_by_role("heading", name=re.compile("Delete"))).to_be_visible()
    page.get_by_role("button", name="Delete for good").click()
    expect(page.get_by_role("heading", name="Gallery")).to_be_visible()
    expect(page.get_by_text("Deleted: the image, its file and its public URL are gone.")).to_be_visible()
    gone = page.goto(transformed)
    assert gone is not None and gone.status == 404


def test_a_running_job_can_be_canceled(admin_page: Page) -> None:
    page = admin_page
    page.goto("/studio")
    page.get_by_label("Prompt", exact=True).fill("a very slow mountain")
    page.get_by_label("Steps").fill("50")
    page.get_by_role("button", name="Generate").click()
    link = page.get_by_role("region", name="Result").get_by_role("link", name="This job's page")
    page.goto(str(link.get_attribute("href")))
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("[data-result-state]")).to_have_text("canceled")
    page.goto("/jobs")
    expect(page.get_by_role("cell", name="a very slow mountain")).to_be_visible()
    screenshot(page, "07-jobs")


def test_another_keys_images_are_not_seen(browser: Browser, site: Site, admin_page: Page) -> None:
    job = generate(admin_page, "only mine", name="private")
    image_url = admin_page.get_by_role("img", name="only mine").locator("xpath=..").get_attribute("href")
    other = browser.new_context(base_url=site.url)
    page = other.new_page()
    sign_in(page, site.key())
    page.goto("/gallery?name=private")
    expect(page.get_by_role("img")).to_have_count(0)
    assert page.goto(str(image_url)).status == 404  # type: ignore[union-attr]
    assert page.goto(f"/jobs/{job}").status == 404  # type: ignore[union-attr]
    other.close()


def test_an_admin_makes_a_key_that_works_with_curl_and_others_see_no_admin_page(
    admin_page: Page, browser: Browser, site: Site
) -> None:
    page = admin_page
    page.get_by_role("link", name="Keys").click()
    page.get_by_label("Key name").fill("made in the browser")
    page.get_by_role("button", name="Create key").click()
    new_key = page.locator("#new-key").inner_text().strip()
    assert new_key.startswith("sfm_")
    screenshot(page, "08-admin-keys")
    usage = httpx.get(f"{site.url}/v1/usage", headers={"Authorization": f"Bearer {new_key}"})
    assert usage.status_code == 200 and usage.json()["plan"] == "starter"
    page.get_by_role("link", name="Service").click()
    expect(page.get_by_role("heading", name="Workers")).to_be_visible()
    expect(page.get_by_text("on (local CA)")).to_be_visible()  # content credentials
    screenshot(page, "09-admin-service")

    other = browser.new_context(base_url=site.url)
    plain = other.new_page()
    sign_in(plain, new_key)
    expect(plain.get_by_role("link", name="Keys")).to_have_count(0)
    assert plain.goto("/admin/keys").status == 404  # type: ignore[union-attr]
    assert plain.goto("/admin/service").status == 404  # type: ignore[union-attr]

    page.get_by_role("link", name="Keys").click()
    page.get_by_role("button", name="Revoke made in the browser").click()
    expect(page.get_by_text("The key was revoked: it works nowhere from now on.")).to_be_visible()
    plain.goto("/gallery")  # a revoked key's session ends at its next request
    expect(plain.get_by_role("heading", name="Sign in")).to_be_visible()
    other.close()


def test_a_form_posted_without_its_csrf_token_is_refused(admin_page: Page) -> None:
    answer = admin_page.request.post("/studio", form={"prompt": "forged", "width": "256", "height": "256"})
    assert answer.status == 403
    answer = admin_page.request.post("/studio", form={"prompt": "forged", "csrf_token": "guessed"})
    assert answer.status == 403
    admin_page.goto("/jobs")
    expect(admin_page.get_by_text("forged")).to_have_count(0)


def test_a_script_in_a_prompt_is_shown_as_text(admin_page: Page) -> None:
    dialogs: list[str] = []
    admin_page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    prompt = "<script>alert(1)</script>"
    generate(admin_page, prompt, name="<b>bold</b>")
    expect(admin_page.get_by_label("Prompt", exact=True)).to_have_value(prompt)  # the form is kept
    admin_page.goto("/jobs")
    expect(admin_page.get_by_role("cell", name=prompt).first).to_be_visible()
    admin_page.goto("/gallery?name=%3Cb%3Ebold%3C%2Fb%3E")
    expect(admin_page.get_by_text("<b>bold</b>").first).to_be_visible()
    assert dialogs == []


def test_usage_and_webhooks_pages(admin_page: Page) -> None:
    page = admin_page
    page.get_by_role("link", name="Usage").click()
    expect(page.get_by_role("img", name=re.compile("Images a day"))).to_be_visible()
    screenshot(page, "10-usage")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_text("whsec_")).to_have_count(0)
    page.get_by_role("button", name="Reveal the secret").click()
    expect(page.get_by_text(re.compile("^whsec_"))).to_be_visible()
    screenshot(page, "11-webhooks")


def test_pages_carry_their_security_headers(admin_page: Page) -> None:
    answer = admin_page.goto("/gallery")
    assert answer is not None
    headers = answer.headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"


def test_the_studio_reads_on_a_phone(browser: Browser, site: Site) -> None:
    phone = browser.new_context(base_url=site.url, viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    sign_in(page, site.admin_key)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the screen
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    phone.close()


def test_the_api_reference_renders_its_operations_with_no_network(
    context: BrowserContext, site: Site
) -> None:
    outside: list[str] = []

    def only_this_server(route) -> None:  # type: ignore[no-untyped-def]
        if route.request.url.startswith(site.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    context.route("**/*", only_this_server)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.goto("/docs")
    expect(page.locator(".opblock").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    expect(page.get_by_text("/v1/images/edits").first).to_be_visible()
    screenshot(page, "13-api-reference")
    page.get_by_role("link", name="Back to the dashboard").click()  # a way back (here: not signed in)
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    assert outside == [] and not [error for error in errors if "Content Security Policy" in error]


def test_a_lora_is_uploaded_listed_and_deleted(admin_page: Page, tmp_path: Path) -> None:
    page = admin_page
    lora = tmp_path / "ink.safetensors"
    lora.write_bytes(tiny_lora(1))
    page.goto("/playground")
    page.get_by_role("link", name="LoRAs").click()
    expect(page.get_by_role("heading", name="LoRAs")).to_be_visible()
    page.get_by_label("File (.safetensors)").set_input_files(str(lora))
    page.get_by_label("Name").fill("ink-wash")
    page.get_by_label("Trigger words").fill("inkwash")
    page.get_by_role("button", name="Upload").click()
    expect(page.get_by_text("Stored ink-wash (sdxl, rank 4).")).to_be_visible()
    expect(page.get_by_role("cell", name="inkwash")).to_be_visible()
    screenshot(page, "12-loras")
    page.get_by_role("button", name="Delete ink-wash").click()
    expect(page.get_by_text("No LoRAs yet")).to_be_visible()
