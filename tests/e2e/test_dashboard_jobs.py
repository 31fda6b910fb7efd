"""The jobs views in a real browser: search, filters, paging, one job, and markup that stays inert."""

import html
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.async_api import Browser, Page, expect

from launcher.processes import Services
from tests.conftest import DATA
from tests.e2e.conftest import FEEDS, running_services
from tests.e2e.test_dashboard import browser, console_errors, screenshot, signed_in

pytestmark = pytest.mark.e2e
__all__ = ["browser"]  # the fixture, shared with the other dashboard tests
HOSTILE_MARKUP = "script:not([src]), [onerror], [onload], a[href^='javascript:' i]"


async def imported(browser: Browser, services: Services, runs: int) -> Page:
    """Signed in, after "Import all feeds now" has completed `runs` runs: every job is stored."""
    page = await signed_in(browser, services)
    await page.click("#import-now")
    await page.locator("#history tr .status-completed").nth(runs - 1).wait_for(timeout=120_000)
    return page


async def stored_jobs(services: Services, **filters: str) -> list[dict[str, Any]]:
    """Every stored job, newest first, read page by page from the API."""
    jobs: list[dict[str, Any]] = []
    query: dict[str, str] = {**filters, "limit": "100"}
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        while True:
            page = (await client.get("/api/jobs", params=query)).json()
            jobs += page["items"]
            if not page["next_cursor"]:
                return jobs
            query["cursor"] = page["next_cursor"]


def searched_text(job: dict[str, Any]) -> str:
    """What `q` reads: the title, the company's name and the description's text."""
    company = (job["company"] or {}).get("name") or ""
    return f"{job['title']}\n{company}\n{job['description_text'] or ''}".lower()


def word_in_exactly_two(jobs: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """A word (q matches it anywhere, in any case) in exactly two jobs, one remote and one not."""
    texts = [(searched_text(job), job) for job in jobs]
    words = sorted({word for text, _ in texts for word in re.findall(r"[a-z]{8,}", text)})
    for word in words:
        found = [job for text, job in texts if word in text]
        if len(found) == 2 and {job["workplace_type"] == "REMOTE" for job in found} == {True, False}:
            return word, found
    raise AssertionError("the sample feeds have no such word")


# Waits as long as locators do (30 s), not expect's 5 s: the machine may be busy with other tests.
async def rows_shown(page: Page, count: int) -> None:
    await expect(page.locator("#jobs tr")).to_have_count(count, timeout=30_000)


async def heading(page: Page, text: str) -> None:
    await expect(page.locator("#heading")).to_have_text(text, timeout=30_000)


def keys(jobs: list[dict[str, Any]]) -> list[str]:
    return [job["job_key"] for job in jobs]


async def shown_keys(page: Page) -> list[str]:
    return [
        key or ""
        for key in await page.locator("#jobs tr").evaluate_all("rows => rows.map(row => row.dataset.jobKey)")
    ]


async def test_jobs_are_searched_filtered_in_the_url_and_paged_without_duplicates(
    services: Services, browser: Browser
) -> None:
    page = await imported(browser, services, runs=len(FEEDS))
    errors = console_errors(page)
    jobs = await stored_jobs(services)
    assert len(jobs) == 149  # 100 + 59 items, 10 of them in both feeds
    word, expected = word_in_exactly_two(jobs)

    await page.goto(f"{services.gateway_url}/jobs")
    await rows_shown(page, 50)  # the first page
    await page.get_by_label("Search").fill(word)
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(f"**/jobs?q={word}")
    await rows_shown(page, 2)
    assert sorted(await shown_keys(page)) == sorted(keys(expected))

    await page.get_by_label("Workplace").select_option("REMOTE")
    await page.get_by_role("button", name="Search").click()
    await page.wait_for_url(f"**/jobs?q={word}&workplace_type=REMOTE")
    await rows_shown(page, 1)
    assert await shown_keys(page) == [job["job_key"] for job in expected if job["workplace_type"] == "REMOTE"]
    row = page.locator("#jobs tr").first
    assert (await row.locator(".col-workplace").inner_text()).strip() == "remote"

    await page.go_back()
    await page.wait_for_url(f"**/jobs?q={word}")
    await rows_shown(page, 2)
    assert sorted(await shown_keys(page)) == sorted(keys(expected))
    assert await page.get_by_label("Search").input_value() == word
    assert await page.get_by_label("Workplace").input_value() == ""

    remote = [job for job in jobs if job["workplace_type"] == "REMOTE"]
    await page.goto(f"{services.gateway_url}/jobs?workplace_type=REMOTE&limit=4")
    await rows_shown(page, 4)
    await page.get_by_role("button", name="Older jobs").click()
    await rows_shown(page, 8)
    shown = await shown_keys(page)
    assert shown == keys(remote[:8]) and len(set(shown)) == 8
    assert "remote" in (await page.locator("#jobs tr").nth(7).inner_text())
    await page.get_by_role("button", name="Older jobs").click()
    await rows_shown(page, 12)
    assert await shown_keys(page) == keys(remote[:12])

    await page.goto(f"{services.gateway_url}/jobs?q=no-job-says-this")
    await page.locator("#empty", has_text="No jobs match").wait_for()
    assert await page.locator("#jobs tr").count() == 0
    # First-seen dates: the form's dates go to the API as date-times ("until" takes in its day).
    await page.goto(f"{services.gateway_url}/jobs?until=2000-01-01")
    await page.locator("#empty", has_text="No jobs match").wait_for()
    await page.goto(f"{services.gateway_url}/jobs?since=2000-01-01&limit=4")
    await rows_shown(page, 4)
    assert await page.get_by_label("First seen from").input_value() == "2000-01-01"
    await page.goto(f"{services.gateway_url}/jobs?limit=8")
    await rows_shown(page, 8)
    await screenshot(page, "jobs")
    assert errors == []

    # An invalid filter: the API's problem, by the parameter it names (the 400 is logged as an error).
    await page.goto(f"{services.gateway_url}/jobs?employment_type=FOREVER")
    message = page.locator("#message", has_text="employment_type")
    await message.wait_for()
    assert "the request is invalid" in await message.inner_text()
    assert await page.get_by_label("Employment type").get_attribute("aria-invalid") == "true"


async def test_a_job_opened_from_the_list_shows_its_fields_and_the_run_that_found_it(
    services: Services, browser: Browser
) -> None:
    page = await imported(browser, services, runs=len(FEEDS))
    errors = console_errors(page)
    job = next(
        job
        for job in await stored_jobs(services)
        if job["locations"] and "<li>" in (job["description_html"] or "") and job["workplace_type"]
    )
    assert "/" in job["job_key"] and ":" in job["job_key"]

    await page.goto(f"{services.gateway_url}/jobs")
    await page.get_by_label("Search").fill(job["title"])
    await page.get_by_role("button", name="Search").click()
    await page.locator(f"#jobs tr[data-job-key='{job['job_key']}'] a").click()
    await page.wait_for_url(f"**/jobs/{quote(job['job_key'], safe='')}")
    await heading(page, job["title"])
    facts = page.locator("#summary")
    await facts.locator(".fact-job-key").wait_for()
    assert await facts.locator(".fact-job-key").inner_text() == job["job_key"]  # the key round-trips
    assert await facts.locator(".fact-locations").inner_text() == "; ".join(
        p["raw"] for p in job["locations"]
    )
    assert await facts.locator(".fact-workplace").inner_text() == job["workplace_type"].lower()
    assert await facts.locator(".fact-employment-raw").inner_text() == job["employment_type_raw"]
    assert await facts.locator(".fact-source").inner_text() == job["source"]
    assert await facts.locator(".fact-posting a").get_attribute("href") == job["url"]
    assert await facts.locator(".fact-posting a").get_attribute("rel") == "nofollow noopener"
    description = page.locator("#description")
    assert await description.locator("li").count() == job["description_html"].count("<li>")
    plain_items = [html.unescape(item) for item in re.findall(r"<li>([^<]+)</li>", job["description_html"])]
    shown = " ".join((await description.inner_text()).split())
    assert plain_items and all(" ".join(item.split()) in shown for item in plain_items)
    run_link = page.locator("#first-seen-run")
    assert await run_link.get_attribute("href") == f"{services.gateway_url}/runs/{job['created_run_id']}"
    await screenshot(page, "job")

    await run_link.click()
    await page.wait_for_url(f"**/runs/{job['created_run_id']}")
    await page.locator("#summary dl").wait_for()
    assert job["created_run_id"] in await page.locator("#summary").inner_text()
    back_to_job = page.locator(f"#statuses tr[data-job-key='{job['job_key']}'] a")
    await back_to_job.click()  # the run's per-job outcomes link to the job pages
    await heading(page, job["title"])
    await page.goto(f"{services.gateway_url}/jobs/{job['job_key']}")  # typed, not encoded: the same page
    await heading(page, job["title"])
    assert errors == []

    # A key no job has: the page says so (the API's 404 is logged as an error).
    await page.goto(f"{services.gateway_url}/jobs/{quote('127.0.0.1:https://example.com/gone', safe='')}")
    await heading(page, "No such job")
    assert await page.locator("#message a").get_attribute("href") == f"{services.gateway_url}/jobs"


# HOSTILE_ITEM's tricks next to harmless formatting that must still format.
HOSTILE_ITEM = (
    "<item><title>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; Hostile</title>"
    "<link>https://jobs.example.com/hostile</link><guid>hostile-1</guid>"
    "<description>&lt;p&gt;We offer &lt;strong&gt;equity&lt;/strong&gt;&lt;/p&gt;&lt;ul&gt;&lt;li&gt;remote"
    '&lt;/li&gt;&lt;/ul&gt;&lt;a href="javascript:alert(3)"&gt;apply&lt;/a&gt;'
    "&lt;img src=x onerror=alert(4)&gt;"
    "&lt;script&gt;alert(5)&lt;/script&gt;</description></item>"
)
# Stored as if the fetcher's sanitizer had let everything through: the page's own allowlist decides.
UNSANITIZED_HTML = (
    '<p onclick="alert(6)">Plain <strong>bold</strong> <em style="x">words</em></p><ul><li>one</li></ul>'
    '<img src=x onerror="alert(7)"><script>alert(8)</script><a href="javascript:alert(9)">click me</a>'
    '<a href="https://jobs.example.com/ok" onmouseover="alert(10)">fine link</a>'
    '<svg onload="alert(11)"></svg>'
    '<iframe srcdoc="&lt;script&gt;alert(12)&lt;/script&gt;"></iframe><style>body{display:none}</style>'
    '<form action="https://evil.example"><input value="typed"></form><div>kept line</div>'
)


@pytest.fixture
def hostile_services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    feed = (DATA / "wwr_back_end_2022.rss").read_text(encoding="utf-8")
    (tmp_path / "hostile.rss").write_text(feed.replace("</channel>", HOSTILE_ITEM + "</channel>"))
    with running_services(namespace, tmp_path, tmp_path, {"hostile": "hostile.rss"}) as running:
        yield running


async def no_hostile_markup(page: Page) -> None:
    assert await page.locator(HOSTILE_MARKUP).count() == 0
    hrefs = await page.locator("a").evaluate_all("links => links.map(link => link.getAttribute('href'))")
    assert all(href.startswith(("/", "http://", "https://", "#")) for href in hrefs), hrefs


async def test_markup_from_a_feed_renders_inert_on_the_jobs_list_and_the_job_page(
    hostile_services: Services, browser: Browser, database: Any
) -> None:
    page = await imported(browser, hostile_services, runs=1)
    errors = console_errors(page)
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog.message))
    key = "test:unsanitized"
    await database.jobs.insert_one(
        {
            "_id": key,
            "job_key": key,
            "source": "test",
            "title": "<b>Unsanitized</b>",
            "description_html": UNSANITIZED_HTML,
            "first_seen_at": datetime.now(UTC),
        }
    )

    await page.goto(f"{hostile_services.gateway_url}/jobs?q=hostile")
    hostile = page.locator("#jobs tr", has_text="Hostile")
    await hostile.wait_for()
    assert "<script>alert(1)</script>" in await hostile.inner_text()  # shown as the text it is
    await no_hostile_markup(page)

    await hostile.get_by_role("link").click()
    description = page.locator("#description")
    await description.locator("li", has_text="remote").wait_for()
    assert await description.locator("strong").inner_text() == "equity"
    assert "<script>" in await page.locator("#heading").inner_text()
    await no_hostile_markup(page)
    assert errors == []

    await page.goto(f"{hostile_services.gateway_url}/jobs/{quote(key, safe='')}")
    await description.locator("li", has_text="one").wait_for()
    assert await page.locator("#heading").inner_text() == "<b>Unsanitized</b>"
    assert await description.locator("strong").inner_text() == "bold"
    assert await description.locator("em").inner_text() == "words"
    fine = description.get_by_role("link", name="fine link")
    assert await fine.get_attribute("href") == "https://jobs.example.com/ok"
    assert await fine.get_attribute("rel") == "nofollow noopener"
    text = await description.inner_text()
    assert "click me" in text and "kept line" in text and "alert(" not in text and "display" not in text
    assert await description.locator("img, svg, iframe, style, form, input, [style], [onclick]").count() == 0
    await no_hostile_markup(page)
    assert dialogs == []
    # Chromium checks event handler attributes against the CSP as the (inert) parser meets them,
    # and reports each refusal: the only errors here, and nothing ran.
    assert errors and all("inline event handler" in error for error in errors), errors
