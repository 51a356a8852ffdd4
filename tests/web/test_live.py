"""A job followed live while its server goes away and comes back (docs/dashboard.md, "Live and honest"): the
page says "Connection lost, retrying…" within seconds, never reloads into the stopped server, says so in the
page when an action cannot reach it, and says "Reconnected" when the server is back. A server of its own,
stopped and started again on the same port and data; two browsers follow the job, at both widths."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from tests.e2e.harness import Server, create_key, environment
from tests.web.conftest import WIDTHS, screenshot, sign_in

pytestmark = pytest.mark.browser


def test_a_stopped_server_is_said_at_once_and_its_return_too(browser: Browser, tmp_path: Path) -> None:
    env = environment(tmp_path / "data", poll_seconds="0.2", drain_seconds="1")
    key = create_key(env, None, "--plan", "professional", "--rpm", "1000")
    server = Server(env, tmp_path / "serve.log")
    server.wait_ready()
    contexts = {
        width: browser.new_context(base_url=server.url, viewport=size) for width, size in WIDTHS.items()
    }
    desktop, phone = (contexts[width].new_page() for width in ("desktop", "phone"))
    loads: list[str] = []
    for page in (desktop, phone):
        sign_in(page, key)
        page.on("load", lambda: loads.append("load"))  # a reload would land on the browser's error page
    try:
        desktop.get_by_label("Prompt", exact=True).fill("a very long night")
        desktop.get_by_label("Steps").fill("50")
        desktop.get_by_role("button", name="Generate").click()
        result = desktop.get_by_role("region", name="Result")
        expect(result.get_by_text(re.compile(r"Step \d+ of 50"))).to_be_visible(timeout=60_000)
        job_page = str(result.get_by_role("link", name="This job's page").get_attribute("href"))
        phone.goto(job_page)
        expect(phone.get_by_text(re.compile(r"Step \d+ of 50"))).to_be_visible(timeout=60_000)
        loads.clear()

        server.stop()  # as Ctrl+C does: the process drains, then exits
        for page in (desktop, phone):
            expect(page.get_by_text("Connection lost, retrying…")).to_be_visible(timeout=5_000)
        screenshot(phone, "live-connection-lost-phone", full_page=False)
        phone.get_by_role("button", name="Cancel").click()  # an action the server cannot receive
        expect(
            phone.get_by_text(re.compile("The server cannot be reached: nothing was sent"))
        ).to_be_visible()
        assert phone.url.endswith(job_page) and loads == []

        again = Server(env, tmp_path / "serve-again.log", port=server.port)
        try:
            again.wait_ready()
            for page in (desktop, phone):
                expect(page.get_by_text("Reconnected")).to_be_visible(timeout=15_000)
            assert loads == []
        finally:
            again.stop()
    finally:
        for made in contexts.values():
            made.close()
        server.stop()
