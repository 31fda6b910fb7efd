"""The dashboard in a real browser: the button starts an import and rows fill in live, no reload."""

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


async def cells(page: Page, feed_file: str) -> list[str]:
    row = page.locator("#history tr", has_text=feed_file)
    return [text.strip() for text in await row.locator("td").all_inner_texts()]


async def test_the_import_button_fills_the_history_live(services: Services, browser: Browser) -> None:
    page = await browser.new_page()
    await page.goto(services.gateway_url)
    await page.locator("#connection.live").wait_for(timeout=20_000)
    await page.evaluate("window.notReloaded = true")

    await page.click("#import-now")
    await page.wait_for_function(
        "document.querySelectorAll('#history tr .status-completed').length === 2", timeout=120_000
    )

    remote = await cells(page, "wwr_remote_jobs_2022.rss")
    back_end = await cells(page, "wwr_back_end_2022.rss")
    assert remote[2:4] == ["completed", "100"] and back_end[2:4] == ["completed", "59"]
    new_total = int(remote[4]) + int(back_end[4])
    unchanged_total = int(remote[6]) + int(back_end[6])
    assert (new_total, unchanged_total) == (149, 10)
    assert await page.evaluate("window.notReloaded") is True
    assert "import requested" in await page.locator("#message").inner_text()
