"""A real `sfumato serve` of the tiny models and Debian's Chromium, driven by Playwright, for the dashboard's
tests.

Screenshots of the main pages go to `test-artifacts/dashboard/` (or $SFUMATO_ARTIFACTS), to be looked at."""

import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.e2e.harness import ROOT, Server, create_key, environment

ARTIFACTS = Path(os.environ.get("SFUMATO_ARTIFACTS", ROOT / "test-artifacts")) / "dashboard"


@dataclass
class Site:
    server: Server
    admin_key: str
    env: dict[str, str]

    @property
    def url(self) -> str:
        return self.server.url

    def key(self, *options: str) -> str:
        return create_key(self.env, None, "--plan", "professional", "--rpm", "1000", *options)


# Package scope: Playwright's sync API holds an event loop on the main thread while it is open, which
# the async tests elsewhere (anyio) cannot run beside; it closes when the last test here has run.
@pytest.fixture(scope="package")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = tmp_path_factory.mktemp("dashboard")
    # Three families' tiny models: the studio's Model choice offers each (tiny, the default, loads first).
    env = environment(folder / "data", poll_seconds="0.2", models="tiny,tiny-flux,tiny-sd3")
    admin = create_key(env, None, "--admin", "--plan", "professional", "--rpm", "1000")
    server = Server(env, folder / "serve.log")
    try:
        server.wait_ready()
        yield Site(server, admin, env)
    finally:
        server.stop()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=executable, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        yield launched
        launched.close()


@pytest.fixture
def context(browser: Browser, site: Site) -> Iterator[BrowserContext]:
    made = browser.new_context(base_url=site.url, viewport={"width": 1280, "height": 900})
    made.set_default_timeout(60_000)
    yield made
    made.close()


def sign_in(page: Page, key: str) -> None:
    page.goto("/")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/studio")


# The two widths every page is tried at (docs/testing.md): a laptop's, and a phone's.
WIDTHS = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture(params=list(WIDTHS))
def width(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sized(browser: Browser, site: Site, width: str) -> Iterator[Page]:
    """A page signed in with the admin key, at the width of the test's parameter."""
    made = browser.new_context(
        base_url=site.url, viewport=WIDTHS[width], is_mobile=width == "phone", has_touch=width == "phone"
    )
    made.set_default_timeout(60_000)
    page = made.new_page()
    sign_in(page, site.admin_key)
    yield page
    made.close()


@pytest.fixture
def admin_page(context: BrowserContext, site: Site) -> Page:
    page = context.new_page()
    sign_in(page, site.admin_key)
    return page


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    # The images in view loaded: a picture of a page is of what a person sees once it has come. (Not by
    # a script of the test's own: the pages' Content-Security-Policy refuses anything evaluated.)
    page.wait_for_load_state()  # a navigation under way ends first: its page is the one pictured
    if full_page:  # down the whole page first: images below the fold load lazily, as a reader scrolls
        height = page.evaluate("document.documentElement.scrollHeight")
        for _ in range(0, height, 700):
            page.mouse.wheel(0, 700)
        page.mouse.wheel(0, -height)
    page.wait_for_load_state("networkidle")
    page.screenshot(path=str(path), full_page=full_page)
    return path
