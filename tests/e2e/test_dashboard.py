"""The dashboard in a real browser, driven as an operator would: every view, live, under the CSP."""

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import yaml
from aiokafka import AIOKafkaProducer
from playwright.async_api import Browser, Page, async_playwright
from pymongo import AsyncMongoClient

from infra.kafka import client_options
from infra.settings import CommonSettings
from launcher.chromium import FLAGS as CHROMIUM_FLAGS
from launcher.processes import Services
from schemas import topics
from schemas.events import ImportRequested, Trigger
from tests.conftest import DATA, eventually
from tests.e2e.conftest import FEEDS, running_services
from tests.proxy import Proxy, proxied


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    chromium = shutil.which("chromium")
    assert chromium, "Chromium is missing: deploy/local/install.sh installs it"
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_FLAGS)
        yield launched
        await launched.close()


async def screenshot(page: Page, name: str) -> None:
    """`make screenshots` (SCREENSHOTS=docs/screenshots) refreshes the README's pictures, wide and narrow."""
    if directory := os.environ.get("SCREENSHOTS"):
        for width in (1280, 375):
            await page.set_viewport_size({"width": width, "height": 800})
            await page.screenshot(path=f"{directory}/{name}-{width}.png", full_page=True)
        await page.set_viewport_size({"width": 1280, "height": 720})


def console_errors(page: Page) -> list[str]:
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    return errors


async def cell(page: Page, feed_file: str, column: str) -> str:
    row = page.locator("#history tr", has_text=feed_file)
    return (await row.locator(f"td.col-{column}").inner_text()).strip()


async def signed_in(browser: Browser, services: Services) -> Page:
    page = await browser.new_page()
    await page.goto(f"{services.gateway_url}/login#token={services.token}")
    await page.locator("#connection.live").wait_for(timeout=20_000)
    return page


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

    remote, back_end = "wwr_remote_jobs_2022.rss", "wwr_back_end_2022.rss"
    assert [await cell(page, remote, "status"), await cell(page, remote, "total_fetched")] == [
        "completed",
        "100",
    ]
    assert [await cell(page, back_end, "status"), await cell(page, back_end, "total_fetched")] == [
        "completed",
        "59",
    ]
    assert await cell(page, remote, "trigger") == "manual"
    assert await cell(page, remote, "parse") in ("strict", "recovered")
    new_total = int(await cell(page, remote, "new")) + int(await cell(page, back_end, "new"))
    unchanged_total = int(await cell(page, remote, "unchanged")) + int(
        await cell(page, back_end, "unchanged")
    )
    assert (new_total, unchanged_total) == (149, 10)
    assert await page.evaluate("window.notReloaded") is True
    assert "import requested" in await page.locator("#message").inner_text()
    assert errors == []  # the content security policy blocked nothing the page needs
    await screenshot(page, "history")


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


def big_feed(items: int) -> str:
    entries = "".join(
        f"<item><title>Engineer {n}</title><link>https://jobs.example.com/{n}</link><guid>big-{n}</guid>"
        f"<description>Job number {n} at Example Ltd</description></item>"
        for n in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Big</title>{entries}</channel></rss>'


@pytest.fixture
def big_services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    (tmp_path / "big.rss").write_text(big_feed(3000))
    shutil.copy(DATA / "wwr_back_end_2022.rss", tmp_path)
    shutil.copy(DATA / "wwr_programming_2015.rss", tmp_path)  # served, registered by a test
    feeds = {"big": "big.rss", "back-end": "wwr_back_end_2022.rss"}
    # Small batches: storing takes seconds, so the run's total is known (RunFetched) while jobs are
    # still being stored and the bar has intermediate values to show.
    with running_services(namespace, tmp_path, tmp_path, feeds, PROCESSOR_BATCH_SIZE="20") as running:
        yield running


# Records every "x of N" the progress bars show, to see the bar pass intermediate values.
WATCH_PROGRESS = """() => {
  window.seen = [];
  new MutationObserver(() => {
    for (const text of document.querySelectorAll('.progress-text')) window.seen.push(text.textContent);
  }).observe(document.body, {subtree: true, childList: true, characterData: true});
}"""


async def test_import_now_on_the_feeds_page_moves_the_progress_bar_to_completed(
    big_services: Services, browser: Browser
) -> None:
    page = await signed_in(browser, big_services)
    errors = console_errors(page)
    await page.goto(f"{big_services.gateway_url}/feeds")
    row = page.locator("#feeds tr[data-feed-id=big]")
    await row.wait_for()
    assert "never imported" in await row.inner_text()
    await page.evaluate(WATCH_PROGRESS)

    await row.get_by_role("button", name="import big now").click()
    # An interval typed while the progress redraws the table is neither lost nor unfocused.
    other = page.locator("#feeds tr[data-feed-id=back-end]")
    interval = other.get_by_label("interval of back-end in minutes")
    await interval.fill("45")
    await row.locator(".col-last-run .status-completed").wait_for(timeout=120_000)
    assert "3000 jobs: 3000 new" in await row.locator(".col-last-run").inner_text()
    seen = await page.evaluate("window.seen")
    intermediate = {
        text for text in seen if text.endswith(" of 3000") and text not in ("0 of 3000", "3000 of 3000")
    }
    assert intermediate, seen
    assert "big: import requested" in await page.locator("#message").inner_text()
    # only this feed was imported
    assert "never imported" in await other.inner_text()
    assert await interval.input_value() == "45"
    assert await interval.evaluate("node => node === document.activeElement")
    await interval.press("Enter")
    await other.locator(".col-interval", has_text="45 min").wait_for()
    assert "back-end: interval saved" in await page.locator("#message").inner_text()
    await row.locator(".col-health", has_text="last success").wait_for(timeout=30_000)
    await screenshot(page, "feeds")
    assert errors == []


@pytest.fixture
def scheduled_services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    """Two feeds on two hosts (127.0.0.1 and localhost: each host has its own turn), scheduled."""
    feeds = {"kept": "wwr_back_end_2022.rss", "paused": "localhost/wwr_programming_2015.rss"}
    with running_services(
        namespace, tmp_path, DATA, feeds, SCHEDULER_ENABLED="true", SCHEDULER_TICK_SECONDS="1"
    ) as running:
        yield running


async def runs_of(services: Services, feed_id: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        return (await client.get("/api/imports", params={"feed": feed_id})).json()["items"]


async def test_a_paused_feed_is_skipped_by_the_scheduler_until_resumed(
    scheduled_services: Services, browser: Browser
) -> None:
    services = scheduled_services
    page = await signed_in(browser, services)
    await page.goto(f"{services.gateway_url}/feeds")
    kept, paused = (page.locator(f"#feeds tr[data-feed-id={name}]") for name in ("kept", "paused"))
    for row in (kept, paused):  # both are due when registered
        await row.locator(".col-last-run .status-completed").wait_for(timeout=120_000)

    await paused.get_by_role("button", name="pause paused").click()
    await paused.locator(".paused").wait_for()
    assert "paused: the scheduler skips it" in await page.locator("#message").inner_text()
    assert await paused.locator(".col-next").inner_text() == "—"
    # Time passes: both feeds come due. The scheduler checks the kept one and skips the paused.
    database = AsyncMongoClient(services.env["MONGODB_URL"])[services.env["MONGODB_DATABASE"]]
    past = datetime.now(UTC) - timedelta(minutes=1)
    await database.feed_health.update_many({}, {"$set": {"next_check_at": past}})
    await eventually(lambda: two_completed(services, "kept"), timeout=90)
    assert len(await runs_of(services, "paused")) == 1
    assert [run["trigger"] for run in await runs_of(services, "kept")] == ["schedule", "schedule"]

    await paused.get_by_role("button", name="resume paused").click()
    await paused.get_by_role("button", name="pause paused").wait_for()
    await eventually(lambda: two_completed(services, "paused"), timeout=90)
    await database.client.close()


async def two_completed(services: Services, feed_id: str) -> bool:
    return [run["status"] for run in await runs_of(services, feed_id)] == ["completed", "completed"]


async def test_the_add_feed_form_shows_the_validation_message_then_adds_and_imports(
    big_services: Services, browser: Browser
) -> None:
    page = await signed_in(browser, big_services)
    await page.goto(f"{big_services.gateway_url}/feeds")
    await page.locator("#feeds tr[data-feed-id=big]").wait_for()
    await page.get_by_label("Id").fill("added")
    await page.get_by_label("URL").fill("ftp://example.com/feed.xml")
    await page.get_by_role("button", name="Add feed").click()
    await page.locator("#error-url", has_text="http").wait_for()
    assert await page.locator("#feeds tr[data-feed-id=added]").count() == 0

    registry = yaml.safe_load(await asyncio.to_thread(Path(big_services.env["FEEDS_FILE"]).read_text))[
        "feeds"
    ]
    url = registry[0]["url"].replace("big.rss", "wwr_programming_2015.rss")
    await page.get_by_label("Id").fill("added")
    await page.get_by_label("URL").fill(url)
    await page.get_by_role("button", name="Add feed").click()
    added = page.locator("#feeds tr[data-feed-id=added]")
    await added.wait_for()
    assert await page.locator("#error-url").inner_text() == ""
    await added.get_by_role("button", name="import added now").click()
    await added.locator(".col-last-run .status-completed").wait_for(timeout=120_000)


# A 2 MB item the processor refuses (see test_bad_items.py): one failed job with a message.
HUGE_ITEM = f"<item><title>{'Senior Engineer ' * 65_536}</title><guid>huge-1</guid></item>"
# Markup in a title and description that must stay text, or be sanitized away.
HOSTILE_ITEM = (
    "<item><title>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; Hostile</title>"
    "<link>https://jobs.example.com/hostile</link><guid>hostile-1</guid>"
    '<description>&lt;a href="javascript:alert(3)"&gt;apply&lt;/a&gt;&lt;img src=x onerror=alert(4)&gt;'
    "&lt;script&gt;alert(5)&lt;/script&gt;</description></item>"
)


@pytest.fixture
def failing_services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    feed = (DATA / "wwr_back_end_2022.rss").read_text(encoding="utf-8")
    (tmp_path / "bad-items.rss").write_text(
        feed.replace("</channel>", HUGE_ITEM + HOSTILE_ITEM + "</channel>")
    )
    feeds = {"bad-items": "bad-items.rss", "missing": "no-such-file.rss"}
    with running_services(namespace, tmp_path, tmp_path, feeds) as running:
        yield running


async def test_a_failed_run_shows_its_reason_and_a_failed_job_its_message(
    failing_services: Services, browser: Browser
) -> None:
    page = await signed_in(browser, failing_services)
    errors = console_errors(page)
    await page.click("#import-now")
    failed = page.locator("#history tr", has_text="no-such-file.rss")
    await failed.locator(".status-failed").wait_for(timeout=120_000)
    reason = await failed.locator(".error-line").inner_text()
    assert "404" in reason

    await failed.get_by_role("link").click()
    await page.locator("#summary .error-line").wait_for()
    assert reason in await page.locator("#summary").inner_text()
    assert "HTTP status" in await page.locator("#summary").inner_text()
    await page.go_back()
    await page.locator("#history tr", has_text="no-such-file.rss").wait_for()

    partly = page.locator("#history tr", has_text="bad-items.rss")
    await partly.locator(".col-status.status-completed").wait_for(timeout=120_000)
    assert await partly.locator(".col-failed").inner_text() == "1"
    await partly.get_by_role("link").click()
    await page.locator("#statuses tr").first.wait_for()
    await page.select_option("#outcome", "failed")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url("**outcome=failed")
    rows = page.locator("#statuses tr")
    await rows.first.wait_for()
    assert await rows.count() == 1
    text = await rows.first.inner_text()
    assert "too_large" in text and "the limit is 1,000,000" in text
    await page.locator("#summary dl").wait_for()  # the run's facts, rendered with the outcomes
    await screenshot(page, "run")
    assert errors == []


async def test_markup_from_a_feed_renders_inert(failing_services: Services, browser: Browser) -> None:
    page = await signed_in(browser, failing_services)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    await page.click("#import-now")
    run = page.locator("#history tr", has_text="bad-items.rss")
    await run.locator(".col-status.status-completed").wait_for(timeout=120_000)
    await run.get_by_role("link").click()
    hostile = page.locator("#statuses tr", has_text="Hostile")
    await hostile.wait_for()
    assert "<script>" in await hostile.inner_text()  # shown as the text it is
    hostile_markup = "script:not([src]), [onerror], [onload], a[href^='javascript:' i]"
    assert await page.locator(hostile_markup).count() == 0
    assert dialogs == []


async def send(stack: CommonSettings, topic: str, *messages: tuple[bytes, bytes], json: bool = False) -> None:
    """Records (key, value) on the test's `topic` (prefixed), as a producer of the pipeline would."""
    producer = AIOKafkaProducer(**client_options(stack), acks="all")
    await producer.start()
    headers = [("content-type", b"application/json")] if json else None
    try:
        for key, value in messages:
            await producer.send_and_wait(topic, value, key=key, headers=headers)
    finally:
        await producer.stop()


async def test_dead_letters_are_counted_on_the_home_page_and_listed_with_their_reasons(
    services: Services, stack: CommonSettings, browser: Browser
) -> None:
    topic = services.env["KAFKA_TOPIC_PREFIX"] + topics.JOBS_FETCHED
    await send(stack, topic, (b"broken-1", b"<not json>"), (b"broken-2", b'{"run_id": "r"}'))
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:

        async def refused() -> bool:  # by the processor: then the page can show them
            letters = (await client.get("/api/dead-letters")).json()["items"]
            return {"source_topic": topics.JOBS_FETCHED, "count": 2, "redriven": 0} in letters

        await eventually(refused)

    page = await signed_in(browser, services)
    errors = console_errors(page)
    link = page.locator("#dead-letters a", has_text="2 on jobs.fetched")
    await link.click()
    await page.wait_for_url("**/dead-letters?topic=jobs.fetched")
    rows = page.locator("#letters tr")
    await rows.nth(1).wait_for()
    assert await rows.count() == 2
    broken = page.locator("#letters tr", has_text="broken-1")
    assert "<not json>" in await broken.locator(".col-body").inner_text()
    assert await broken.locator(".col-reason").inner_text() not in ("", "unknown")
    assert "Field required" in await page.locator("#letters tr", has_text="broken-2").inner_text()
    assert await page.locator("#topics a[aria-current]").inner_text() == "jobs.fetched: 2"
    await screenshot(page, "dead-letters")
    assert errors == []


@pytest.fixture
def store_proxy(stack: CommonSettings) -> Iterator[Proxy]:
    address = urlsplit(stack.mongodb_url)
    with proxied(address.hostname or "localhost", address.port or 27017) as proxy:
        yield proxy


@pytest.fixture
def services_behind_proxy(
    namespace: dict[str, str], tmp_path: Path, store_proxy: Proxy
) -> Iterator[Services]:
    store = f"mongodb://127.0.0.1:{store_proxy.port}/?directConnection=true"
    with running_services(namespace, tmp_path, DATA, FEEDS, MONGODB_URL=store) as running:
        yield running


async def test_the_banner_tells_a_store_outage_and_a_gateway_gap_and_the_page_catches_up(
    services_behind_proxy: Services, store_proxy: Proxy, stack: CommonSettings, browser: Browser
) -> None:
    services = services_behind_proxy
    page = await signed_in(browser, services)
    await page.evaluate("window.notReloaded = true")
    banner = page.locator("#connection")

    store_proxy.cut()
    await page.locator("#connection.degraded", has_text="store unavailable").wait_for(timeout=15_000)
    store_proxy.restore()
    await page.locator("#connection.live").wait_for(timeout=30_000)

    # The gateway away while two runs happen: the page says so, then shows both without a reload.
    services.kill("gateway")
    await page.locator("#connection:not(.live)").wait_for(timeout=15_000)
    assert await banner.inner_text() != "live"
    await request_import(services, stack)
    database = AsyncMongoClient(stack.mongodb_url)[services.env["MONGODB_DATABASE"]]

    async def both_completed() -> bool:
        return await database.import_logs.count_documents({"status": "completed"}) == 2

    await eventually(both_completed, timeout=120)
    await database.client.close()
    services.restart("gateway")
    await page.locator("#connection.live").wait_for(timeout=30_000)
    await page.locator("#history tr .status-completed").nth(1).wait_for(timeout=20_000)
    assert await page.locator("#history tr").count() == 2
    assert await page.evaluate("window.notReloaded") is True


async def request_import(services: Services, stack: CommonSettings) -> None:
    """As the scheduler asks: an ImportRequested on Kafka, with no gateway involved."""
    request = ImportRequested(trigger_id=uuid.uuid4().hex, trigger=Trigger.API, feeds=[])
    topic = services.env["KAFKA_TOPIC_PREFIX"] + topics.IMPORTS_REQUESTED
    await send(stack, topic, (request.trigger_id.encode(), request.model_dump_json().encode()), json=True)


async def tab_to(page: Page, selector: str) -> None:
    """Tab from where the focus is until `selector` has it, as a keyboard user would."""
    target = page.locator(selector)
    for _ in range(30):
        await page.keyboard.press("Tab")
        if await target.evaluate("node => node === document.activeElement"):
            return
    raise AssertionError(f"{selector} is not reached with Tab")


async def test_the_history_is_run_from_the_keyboard_filtered_and_paged_through_the_url(
    services: Services, browser: Browser
) -> None:
    page = await signed_in(browser, services)
    completed = page.locator("#history tr .status-completed")
    for imports in (1, 2):
        await tab_to(page, "#import-now")
        await page.keyboard.press("Enter")
        await completed.nth(2 * imports - 1).wait_for(timeout=120_000)

    await page.goto(f"{services.gateway_url}/?limit=3")
    rows = page.locator("#history tr")
    await rows.nth(2).wait_for()
    assert await rows.count() == 3
    await tab_to(page, "#older")
    await page.keyboard.press("Enter")
    await rows.nth(3).wait_for()
    assert await rows.count() == 4
    await page.locator("#older").wait_for(state="hidden")
    assert len({await row.get_attribute("data-run-id") for row in await rows.all()}) == 4

    await page.select_option("#filter-feed", "wwr-back-end")
    await page.select_option("#filters [name=trigger]", "manual")
    await page.get_by_role("button", name="Filter").click()
    await page.wait_for_url("**feed=wwr-back-end**trigger=manual**")
    await rows.nth(1).wait_for()
    assert await rows.count() == 2
    assert all("wwr_back_end_2022.rss" in text for text in await rows.all_inner_texts())

    await page.select_option("#filters [name=status]", "failed")
    await page.get_by_role("button", name="Filter").click()
    await page.locator("#empty", has_text="No runs match these filters").wait_for()
    assert await rows.count() == 0

    await page.go_back()
    await rows.nth(1).wait_for()
    assert await page.locator("#filter-feed").input_value() == "wwr-back-end"
    assert await page.locator("#filters [name=status]").input_value() == ""
    assert await rows.count() == 2
