"""Every page at a laptop's width and a phone's, light and dark: no table cell narrower than its longest word
(words measured in the page: each on one line), times that never wrap mid-date, and a screenshot of each page
under test-artifacts/dashboard/ to be looked at (docs/testing.md)."""

from collections.abc import Iterator
from dataclasses import dataclass

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.web.conftest import WIDTHS, Site, screenshot, sign_in

pytestmark = pytest.mark.browser

# For each cell, the words that do not fit on one line of it: a word broken across lines has more than one
# box. A webhook's URL (td.url) is not a word and may break anywhere.
BROKEN_WORDS = """() => {
    const broken = [];
    for (const cell of document.querySelectorAll("td:not(.url), th")) {
        if (!cell.getClientRects().length) continue;
        const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
            for (const match of node.data.matchAll(/\\S+/g)) {
                const range = document.createRange();
                range.setStart(node, match.index);
                range.setEnd(node, match.index + match[0].length);
                const lines = new Set([...range.getClientRects()].map((box) => Math.round(box.top)));
                if (lines.size > 1) broken.push(match[0]);
            }
        }
    }
    for (const time of document.querySelectorAll("time")) {
        const lines = new Set([...time.getClientRects()].map((box) => Math.round(box.top)));
        if (lines.size > 1) broken.push(time.textContent);
    }
    return broken;
}"""


@dataclass
class Made:
    job: str
    image: str


@pytest.fixture(scope="module")
def made(site: Site) -> Made:
    """A finished job and its image, and a canceled job with its reason, for the pages to show."""
    headers = {"Authorization": f"Bearer {site.admin_key}"}
    job = httpx.post(
        f"{site.url}/v1/jobs",
        json={"prompt": "a harbour in the morning fog", "width": 256, "height": 256, "steps": 2},
        headers=headers | {"Prefer": "wait=120"},
        timeout=180,
    ).json()
    slow = httpx.post(
        f"{site.url}/v1/jobs", json={"prompt": "a canceled sunrise", "steps": 50}, headers=headers
    ).json()
    httpx.post(f"{site.url}/v1/jobs/{slow['id']}/cancel", headers=headers)
    image = job["images"][0]["id"]
    for side in (128, 512):  # transforms, shown under the image as thumbnails
        httpx.post(f"{site.url}/v1/images/{image}/transform", json={"width": side}, headers=headers)
    return Made(job["id"], image)


@pytest.fixture(params=[(width, scheme) for scheme in ("light", "dark") for width in WIDTHS])
def seen(request: pytest.FixtureRequest, browser: Browser, site: Site) -> Iterator[tuple[Page, str]]:
    width, scheme = request.param
    context = browser.new_context(base_url=site.url, viewport=WIDTHS[width], color_scheme=scheme)
    context.set_default_timeout(60_000)
    page = context.new_page()
    yield page, f"{width}-{scheme}"
    context.close()


PAGES = [
    ("studio", "/studio", "Studio"),
    ("jobs", "/jobs", "Jobs"),
    ("job", "/jobs/{job}", "Job"),
    ("gallery", "/gallery", "Gallery"),
    ("image", "/gallery/{image}", "a harbour in the morning"),
    ("delete", "/gallery/{image}/delete", "Delete"),
    ("usage", "/usage", "Usage"),
    ("webhooks", "/webhooks", "Webhooks"),
    ("keys", "/admin/keys", "Keys"),
    ("service", "/admin/service", "Service"),
]


def test_every_page_reads_at_both_widths_in_both_schemes(
    seen: tuple[Page, str], site: Site, made: Made
) -> None:
    page, variant = seen
    page.goto("/signin")
    screenshot(page, f"signin-{variant}")
    sign_in(page, site.admin_key)
    for name, path, heading in PAGES:
        page.goto(path.format(job=made.job, image=made.image))
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        assert page.evaluate("document.documentElement.scrollWidth") <= page.viewport_size["width"]  # type: ignore[index]
        assert page.evaluate(BROKEN_WORDS) == [], name
        if name == "image":  # the image is larger than every thumbnail under it, at both widths
            large = page.locator("figure.large img").bounding_box()
            thumbs = [img.bounding_box() for img in page.locator(".thumbs img").all()]
            assert large is not None and len(thumbs) == 2
            assert all(thumb is not None and thumb["width"] < large["width"] for thumb in thumbs)
            assert large["width"] >= min(256, page.viewport_size["width"] - 40)  # type: ignore[index]
        screenshot(page, f"{name}-{variant}")
    page.get_by_role("link", name="Keys").click()  # revoking one's own key asks first
    page.get_by_role("row", name="(yours)").get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("heading", name="Revoke your own key?")).to_be_visible()
    screenshot(page, f"revoke-own-key-{variant}")
    page.get_by_role("link", name="Keep it").click()
    page.goto("/docs")
    expect(page.get_by_role("link", name="Back to the dashboard")).to_be_visible()
    screenshot(page, f"docs-{variant}", full_page=False)
