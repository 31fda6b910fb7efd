"""The dashboard in a real browser: the button starts an import and rows fill in live, no reload."""

import os
import shutil
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from launcher.processes import Services

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: deploy/local/install.sh installs it"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


async def screenshot(page: Page, name: str) -> None:
    """`SCREENSHOTS=docs/screenshots make test` refreshes the README's pictures."""
    if directory := os.environ.get("SCREENSHOTS"):
        await page.screenshot(path=f"{directory}/{name}.png", full_page=True)


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


async def cells(page: Page, feed_file: str) -> list[str]:
    row = page.locator("#history tr", has_text=feed_file)
    return [text.strip() for text in await row.locator("td").all_inner_texts()]


async def test_the_sign_in_link_opens_the_dashboard_and_a_wrong_token_does_not(
    services: Services, browser: Browser
) -> None:
    page = await browser.new_page()
    await page.goto(services.gateway_url)  # reads need a session here: sent to sign in
    await page.wait_for_url("**/login")
    await page.fill("#token", "not-the-token")
    await page.click("button[type=submit]")
    await page.locator("#failed").wait_for(state="visible")

    await screenshot(page, "sign-in")
    await page.goto(f"{services.gateway_url}/login#token={services.token}")
    await page.locator("#connection.live").wait_for(timeout=20_000)
    assert page.url == f"{services.gateway_url}/"
    assert services.token not in await page.content()


async def test_the_import_button_fills_the_history_live(services: Services, browser: Browser) -> None:
    page = await browser.new_page()
    errors = console_errors(page)
    await page.goto(f"{services.gateway_url}/login#token={services.token}")
    await page.locator("#connection.live").wait_for(timeout=20_000)
    await page.evaluate("window.notReloaded = true")

    await page.click("#import-now")
    completed = page.locator("#history tr .status-completed")
    await completed.nth(1).wait_for(timeout=120_000)  # no wait_for_function: the CSP forbids eval
    assert await completed.count() == 2

    remote = await cells(page, "wwr_remote_jobs_2022.rss")
    back_end = await cells(page, "wwr_back_end_2022.rss")
    assert remote[2:4] == ["completed", "100"] and back_end[2:4] == ["completed", "59"]
    new_total = int(remote[4]) + int(back_end[4])
    unchanged_total = int(remote[6]) + int(back_end[6])
    assert (new_total, unchanged_total) == (149, 10)
    assert await page.evaluate("window.notReloaded") is True
    assert "import requested" in await page.locator("#message").inner_text()
    assert errors == []  # the content security policy blocked nothing the page needs
    await screenshot(page, "dashboard")


async def test_the_api_docs_page_lists_every_operation_under_the_csp(
    services: Services, browser: Browser
) -> None:
    page = await browser.new_page()
    errors = console_errors(page)
    await page.goto(f"{services.gateway_url}/api/docs")
    operations = page.locator(".opblock-summary-path")
    await operations.first.wait_for(timeout=20_000)
    paths = set(await operations.all_inner_texts())
    assert {"/api/imports", "/api/feeds/{feed_id}", "/api/jobs/{job_key}"} <= {
        p.replace("\u200b", "") for p in paths
    }
    assert errors == []
    await screenshot(page, "api-docs")
