"""The studio in Chromium at a laptop's width (1366x900) and a phone's (390x844), against a real `sfumato
serve --model tiny` (docs/dashboard.md, "The studio"): a live preview then the result, large; images in, with
a mask painted in the page; each served model's limits; "Use these settings"; an AUTOMATIC1111 PNG dropped on
the form; what the form refuses and where the server's errors show."""

import base64
import io
import re

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.imaging.test_infotext import A1111_TEXT, png_with
from tests.web.conftest import Site, screenshot

pytestmark = pytest.mark.browser


def fill(page: Page, prompt: str, *, size: int = 256, steps: int = 2) -> None:
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_label("Width").fill(str(size))
    page.get_by_label("Height").fill(str(size))
    page.get_by_label("Steps").fill(str(steps))


def test_ctrl_enter_shows_a_live_preview_then_the_result_large_and_the_form_stays(
    sized: Page, width: str
) -> None:
    page = sized
    result = page.get_by_role("region", name="Result")
    # Long enough that the events stream, polling every 0.2 s here, carries previews before the end.
    fill(page, f"a lighthouse at dusk on a {width}", size=512, steps=40)
    page.get_by_label("Prompt", exact=True).press("Control+Enter")
    expect(result.get_by_role("img", name="Live preview")).to_be_visible(timeout=60_000)
    screenshot(page, f"studio-making-{width}", full_page=False)
    image = result.get_by_role("img", name=f"a lighthouse at dusk on a {width}")
    expect(image).to_be_visible(timeout=120_000)
    expect(result.get_by_role("img", name="Live preview")).to_be_hidden()  # the images took its place
    box = image.bounding_box()
    assert box is not None
    if width == "desktop":
        assert box["width"] >= 512  # its own size: the column is wider
    else:
        column = result.bounding_box()
        assert column is not None and box["width"] >= column["width"] - 40  # fit to the column
    screenshot(page, f"studio-made-{width}", full_page=False)
    # Generate again: the form is as it was, and a second job follows it.
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(f"a lighthouse at dusk on a {width}")
    expect(page.get_by_label("Width")).to_have_value("512")
    page.get_by_label("Steps").fill("2")
    first = result.get_by_role("link", name="This job's page").get_attribute("href")
    page.get_by_role("button", name="Generate").click()
    expect(result.get_by_role("link", name="This job's page")).not_to_have_attribute("href", str(first))
    expect(image).to_be_visible(timeout=120_000)
    image.click()  # an image leads to its page, named by the prompt's first words
    page.wait_for_url(re.compile(r".*/gallery/image_\w+$"))
    expect(page.get_by_role("heading", name="a lighthouse at dusk on a", exact=True)).to_be_visible()


def test_an_uploaded_image_with_a_painted_mask_is_inpainted(sized: Page, width: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = sized
    picture = tmp_path / "blue.png"
    Image.new("RGB", (256, 256), (30, 120, 200)).save(picture)
    fill(page, f"a yellow sun {width}", steps=4)
    page.get_by_label("Image", exact=True).set_input_files(str(picture))
    mask = page.get_by_label("Mask")
    expect(mask).to_be_visible()
    mask.scroll_into_view_if_needed()
    box = mask.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] * 0.2, box["y"] + box["height"] * 0.2)
    page.mouse.down()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6, steps=6)
    page.mouse.up()
    page.get_by_label("Strength").fill("1")
    screenshot(page, f"studio-mask-{width}", full_page=False)
    page.get_by_role("button", name="Generate").click()
    result = page.get_by_role("region", name="Result")
    made = result.get_by_role("img", name=f"a yellow sun {width}")
    expect(made).to_be_visible(timeout=120_000)
    job_page = str(result.get_by_role("link", name="This job's page").get_attribute("href"))
    job = page.request.get(f"{job_page}/result").json()
    assert (job["mode"], job["strength"]) == ("inpaint", 1.0)
    pixels = Image.open(io.BytesIO(page.request.get(job["images"][0]["src"]).body())).convert("RGB")
    assert pixels.getpixel((250, 250)) == (30, 120, 200)  # unpainted: kept as it was
    assert pixels.getpixel((80, 80)) != (30, 120, 200)  # painted: drawn anew
    page.goto(job_page)  # the result page shows what it was made from
    expect(page.get_by_role("img", name="The input image")).to_be_visible()
    expect(page.get_by_role("img", name="The mask: white is redrawn")).to_be_visible()
    screenshot(page, f"job-inpainted-{width}")


PASTE = """([selector, b64]) => {
    const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const carrier = new DataTransfer();
    carrier.items.add(new File([bytes], "pasted.png", { type: "image/png" }));
    document.querySelector(selector).dispatchEvent(
        new ClipboardEvent("paste", { clipboardData: carrier, bubbles: true })
    );
}"""


def picture(color: tuple[int, int, int], size: tuple[int, int] = (256, 256)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def test_an_image_comes_in_pasted_dropped_or_from_the_gallery(sized: Page, site: Site, width: str) -> None:
    page = sized
    made = httpx.post(
        f"{site.url}/v1/jobs",
        json={"prompt": f"a stone bridge {width}", "width": 256, "height": 384, "steps": 2},
        headers=key_headers(site) | {"Prefer": "wait=120"},
        timeout=180,
    ).json()["images"][0]
    shown = page.get_by_role("img", name="The input image")
    # From the gallery: its "Use as input" opens the studio with it.
    page.goto("/gallery")
    page.locator("figure", has=page.get_by_role("img", name=f"a stone bridge {width}")).get_by_role(
        "link", name="Use as input"
    ).click()
    page.wait_for_url(re.compile(rf".*/studio\?input={made['id']}$"))
    expect(shown).to_be_visible()
    assert shown.get_attribute("width") == "256" and shown.get_attribute("height") == "384"
    expect(page.get_by_label("Strength")).to_have_value("0.6")  # the API's default
    page.get_by_role("button", name="Remove image").click()
    expect(shown).to_be_hidden()
    # Pasted anywhere on the page: it lands in the Image field.
    page.evaluate(PASTE, ["textarea#prompt", base64.b64encode(picture((200, 30, 30), (320, 256))).decode()])
    expect(shown).to_be_visible()
    expect(page.get_by_label("Mask")).to_have_js_property("width", 320)  # the mask takes its size
    page.get_by_role("button", name="Remove image").click()
    # Dropped on the Image field (not on the rest of the form, which reads a PNG's settings instead).
    carried = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const carrier = new DataTransfer();
            carrier.items.add(new File([bytes], "dropped.png", { type: "image/png" }));
            return carrier;
        }""",
        base64.b64encode(picture((30, 200, 30))).decode(),
    )
    page.locator("[data-drop-zone]").dispatch_event("drop", {"dataTransfer": carried})
    expect(shown).to_be_visible()
    expect(page.get_by_text("The form now holds the settings")).to_be_hidden()
    fill(page, f"a green field {width}")
    page.get_by_label("Strength").fill("0.5")
    page.get_by_role("button", name="Generate").click()
    result = page.get_by_role("region", name="Result")
    expect(result.get_by_role("img", name=f"a green field {width}")).to_be_visible(timeout=120_000)
    job_page = str(result.get_by_role("link", name="This job's page").get_attribute("href"))
    job = page.request.get(f"{job_page}/result").json()
    assert (job["mode"], job["strength"]) == ("image", 0.5)


PAINTED = """() => {
    const canvas = document.querySelector("#mask");
    const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    let painted = 0;
    for (let alpha = 3; alpha < data.length; alpha += 4) if (data[alpha] > 0) painted += 1;
    return painted;
}"""


def test_the_masks_brush_eraser_size_and_clear(sized: Page, tmp_path) -> None:  # type: ignore[no-untyped-def]
    page = sized
    blank = tmp_path / "grey.png"
    Image.new("RGB", (256, 256), (128, 128, 128)).save(blank)
    page.get_by_label("Image", exact=True).set_input_files(str(blank))
    mask = page.get_by_label("Mask")
    expect(mask).to_be_visible()
    mask.scroll_into_view_if_needed()
    box = mask.bounding_box()
    assert box is not None

    def stroke(y: float) -> None:  # across the picture, at `y` of its height
        page.mouse.move(box["x"] + box["width"] * 0.1, box["y"] + box["height"] * y)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.9, box["y"] + box["height"] * y, steps=8)
        page.mouse.up()

    assert page.evaluate(PAINTED) == 0
    page.get_by_label("Brush size").fill("8")
    stroke(0.25)
    thin = page.evaluate(PAINTED)
    page.get_by_label("Brush size").fill("64")
    stroke(0.75)
    thick = page.evaluate(PAINTED) - thin
    assert thin > 0 and thick > 4 * thin  # a wider brush paints a wider line
    page.get_by_label("Eraser").check()
    page.get_by_label("Brush size").fill("128")
    stroke(0.75)  # erased with a wider eraser: only the thin line is left
    assert page.evaluate(PAINTED) == thin
    page.get_by_role("button", name="Clear mask").click()
    assert page.evaluate(PAINTED) == 0


def test_each_served_model_can_be_picked_with_its_state_and_limits(
    sized: Page, site: Site, width: str
) -> None:
    page = sized
    served = httpx.get(f"{site.url}/v1/models", headers=key_headers(site)).json()["data"]
    assert [model["id"] for model in served] == ["tiny", "tiny-flux", "tiny-sd3"]  # the default first
    choice = page.get_by_label("Model")
    states = {True: "loaded", False: "not loaded"}
    assert choice.locator("option").all_text_contents() == [
        f"{model['id']} · {states[model['loaded']]}" for model in served
    ]
    negative, guidance = page.get_by_label("Negative prompt"), page.get_by_label("Guidance")
    for name in ("tiny", "tiny-flux", "tiny-sd3"):
        choice.select_option(name)
        expect(page.get_by_label("Steps")).to_have_attribute("max", "50")  # the tiny models: 1 to 50 steps
        expect(page.get_by_label("Steps")).to_have_value("4")  # and their own default
        expect(page.get_by_label("Aspect ratio")).to_have_value("1024x1024")  # their native square
        expect(page.get_by_label("Width")).to_have_attribute("min", "256")
        if name == "tiny-flux":  # FLUX: no negative prompt at all, and distilled to run without guidance
            expect(negative).to_be_disabled()
            expect(page.get_by_text("Off: FLUX.1 models take no negative prompt.")).to_be_visible()
            expect(guidance).to_be_disabled()
            expect(
                page.get_by_text("Not used: this model was distilled to run without guidance.")
            ).to_be_visible()
            screenshot(page, f"studio-flux-{width}", full_page=False)
        else:  # SDXL's and SD3's: a negative prompt under guidance above 1
            expect(guidance).to_be_enabled()
            expect(negative).to_be_disabled()
            guidance.fill("1.5")
            expect(negative).to_be_enabled()
    # The choice reaches the server: a tiny-flux job, made in the studio.
    choice.select_option("tiny-flux")
    fill(page, "a flux of kites")
    page.get_by_role("button", name="Generate").click()
    result = page.get_by_role("region", name="Result")
    expect(result.get_by_role("img", name="a flux of kites")).to_be_visible(timeout=120_000)
    job_page = str(result.get_by_role("link", name="This job's page").get_attribute("href"))
    job_id = job_page.rsplit("/", 1)[-1]
    job = httpx.get(f"{site.url}/v1/jobs/{job_id}", headers=key_headers(site)).json()
    assert job["params"]["model"] == "tiny-flux"
    page.reload()
    expect(choice.locator("option", has_text="tiny-flux")).to_have_text("tiny-flux · loaded")
    # The other choices and their names, as a screen reader finds them.
    page.get_by_label("Aspect ratio").select_option(label="16:9 · 1344\u00d7768")
    page.get_by_role("button", name="Swap").click()
    expect(page.get_by_label("Width")).to_have_value("768")
    expect(page.get_by_label("Height")).to_have_value("1344")
    expect(page.get_by_label("Aspect ratio")).to_have_value("768x1344")  # 9:16, the portrait
    expect(page.get_by_label("Number of images")).to_have_attribute("max", "10")  # the professional plan's


def key_headers(site: Site) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.admin_key}"}


def test_use_these_settings_fills_the_form_with_the_images_own(sized: Page, site: Site, width: str) -> None:
    page = sized
    job = httpx.post(
        f"{site.url}/v1/jobs",
        json={"prompt": f"a paper boat {width}", "seed": 70, "n": 2, "width": 256, "height": 384, "steps": 3},
        headers=key_headers(site) | {"Prefer": "wait=120"},
        timeout=180,
    ).json()
    second = job["images"][1]
    page.goto(f"/gallery/{second['id']}")
    facts = page.locator("dl.facts")
    for shown in ("Steps", "Guidance", "Seed", "Size", "Model", "Adapters"):
        expect(facts.get_by_text(shown, exact=True)).to_be_visible()  # every parameter on the image's page
    page.get_by_role("link", name="Use these settings").click()
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(f"a paper boat {width}")
    expect(page.get_by_label("Seed")).to_have_value("71")  # the second image's: seed + 1
    expect(page.get_by_label("Height")).to_have_value("384")
    expect(page.get_by_label("Steps")).to_have_value("3")
    expect(page.get_by_label("Number of images")).to_have_value("1")
    expect(page.get_by_label("random")).not_to_be_checked()


def test_an_automatic1111_png_dropped_on_the_form_fills_it(sized: Page) -> None:
    page = sized
    carried = page.evaluate_handle(
        """(b64) => {
            const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
            const carrier = new DataTransfer();
            carrier.items.add(new File([bytes], "from-a1111.png", { type: "image/png" }));
            return carrier;
        }""",
        base64.b64encode(png_with({"parameters": A1111_TEXT})).decode(),
    )
    page.locator("form[data-studio]").dispatch_event("drop", {"dataTransfer": carried})
    expect(page.get_by_label("Prompt", exact=True)).to_have_value(
        "a lighthouse on a cliff, stormy sea, (dramatic light:1.2)"
    )
    expect(page.get_by_text("The form now holds the settings of this AUTOMATIC1111 PNG.")).to_be_visible()
    expect(page.get_by_label("Negative prompt")).to_have_value("blurry, lowres")
    expect(page.get_by_label("Negative prompt")).to_be_enabled()  # its CFG scale 7 uses it
    expect(page.get_by_label("Seed")).to_have_value("965400086")
    expect(page.get_by_label("Width")).to_have_value("832")
    expect(page.get_by_label("Height")).to_have_value("1216")
    expect(page.get_by_label("Steps")).to_have_value("20")
    expect(page.get_by_label("Guidance")).to_have_value("7")


def test_the_form_guides_before_it_sends(sized: Page, site: Site) -> None:
    page = sized
    # The prompt's tokens, counted by the server with the model's tokenizer (tiny's: a token a letter).
    page.get_by_label("Prompt", exact=True).fill("a red fox")
    expect(page.get_by_text("7 of 75 tokens")).to_be_visible()
    page.get_by_label("Prompt", exact=True).fill("ab " * 40)
    expect(page.get_by_text(re.compile("80 of 75 tokens: the model reads the first 75"))).to_be_visible()
    # The negative prompt is off, and says why, where guidance cannot use it.
    expect(page.get_by_label("Negative prompt")).to_be_disabled()
    expect(page.get_by_text(re.compile("Off at guidance 1 or below"))).to_be_visible()
    page.get_by_label("Guidance").fill("1.5")
    expect(page.get_by_label("Negative prompt")).to_be_enabled()
    # A prompt of spaces is refused at its field; nothing is sent.
    jobs_before = len(httpx.get(f"{site.url}/v1/jobs?limit=100", headers=key_headers(site)).json()["data"])
    page.get_by_label("Prompt", exact=True).fill("    ")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("Write a prompt: spaces alone say nothing to draw.")).to_be_visible()
    expect(page.get_by_label("Prompt", exact=True)).to_have_attribute("aria-invalid", "true")
    # The server's own refusals show at the field they name.
    page.get_by_label("Prompt", exact=True).fill("a red fox")
    page.get_by_label("Width").fill("300")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_text("width must be a multiple of 64 between 256 and 2048")).to_be_visible()
    expect(page.get_by_label("Width")).to_have_attribute("aria-invalid", "true")
    assert (
        len(httpx.get(f"{site.url}/v1/jobs?limit=100", headers=key_headers(site)).json()["data"])
        == jobs_before
    )
