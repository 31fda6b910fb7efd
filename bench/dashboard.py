"""The dashboard in Chromium under load (`make bench-dashboard`).

1. From a click on "Import now" (feeds page) to the feed's last run showing "completed", for the
   demo's largest feed: first import (all new), then again (all unchanged).
2. While one feed of 20,000 jobs imports, with the import history open: the page's frames per
   second (requestAnimationFrame ticks), its JS heap and DOM size, long tasks (> 50 ms), how
   often it rewrote the table (mutation batches) and the websocket frames it received, per second.

Needs the local stack (started by the make target if it does not answer) and Debian's Chromium.
"""

import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import yaml
from aiokafka.admin import AIOKafkaAdminClient
from playwright.async_api import Browser, Page, async_playwright
from pymongo import AsyncMongoClient

from bench.feeds import write_feed
from bench.pipeline import SERVICE_SETTINGS
from infra.kafka import client_options
from infra.settings import CommonSettings
from launcher.__main__ import DEMO_FEEDS
from launcher.chromium import FLAGS as CHROMIUM_FLAGS
from launcher.feed_server import FeedServer
from launcher.processes import ROOT, Services, free_port

BIG_JOBS = int(os.environ.get("BENCH_DASHBOARD_JOBS", 20_000))
# Counts frames, long tasks and the table's rewrites; read back once a second.
WATCH = """() => {
  window.bench = {frames: 0, longTasks: [], mutations: 0};
  const tick = () => { window.bench.frames++; requestAnimationFrame(tick); };
  requestAnimationFrame(tick);
  new PerformanceObserver(list => {
    for (const entry of list.getEntries()) window.bench.longTasks.push(entry.duration);
  }).observe({type: "longtask"});
  new MutationObserver(() => { window.bench.mutations++; })
    .observe(document.getElementById("history"), {subtree: true, childList: true});
}"""


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


async def import_now(page: Page, feed_id: str) -> float:
    row = page.locator(f"#feeds tr[data-feed-id={feed_id}]")
    before = (
        await row.locator(".col-last-run a").get_attribute("href")
        if await row.locator(".col-last-run a").count()
        else None
    )
    started = time.perf_counter()
    await row.get_by_role("button", name=f"import {feed_id} now").click()
    done = row.locator(".col-last-run a.status-completed")
    while True:
        await done.wait_for(timeout=600_000)
        if await done.get_attribute("href") != before:
            return time.perf_counter() - started
        await asyncio.sleep(0.02)


async def sample(page: Page, cdp: Any) -> dict[str, float]:
    counters = await page.evaluate(
        "() => ({...window.bench, longTasks: window.bench.longTasks.length,"
        " longest: Math.max(0, ...window.bench.longTasks)})"
    )
    metrics = {m["name"]: m["value"] for m in (await cdp.send("Performance.getMetrics"))["metrics"]}
    return counters | {"heap": metrics["JSHeapUsedSize"], "nodes": metrics["Nodes"]}


async def watch_big_import(browser: Browser, services: Services, login: str) -> None:
    page = await browser.new_page()
    await page.goto(login)
    await page.locator("#connection.live").wait_for(timeout=30_000)
    cdp = await page.context.new_cdp_session(page)
    await cdp.send("Performance.enable")
    frames_received = 0

    def on_socket(socket: Any) -> None:
        def count(_: Any) -> None:
            nonlocal frames_received
            frames_received += 1

        socket.on("framereceived", count)

    page.on("websocket", on_socket)
    await page.reload()  # the socket opened after the listener: frames are counted
    await page.locator("#connection.live").wait_for(timeout=30_000)
    await page.evaluate(WATCH)
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        response = await client.post("/api/imports", json={"feeds": ["big"], "trigger": "manual"})
        response.raise_for_status()
    started, rows = time.perf_counter(), []
    previous, received_before = await sample(page, cdp), 0
    run = page.locator("#history tr", has_text="big.rss").locator(".col-status")
    ended = run.locator(".status-text", has_text="completed").or_(
        run.locator(".status-text", has_text="failed")
    )
    while await ended.count() == 0:
        await asyncio.sleep(1)
        now = await sample(page, cdp)
        rows.append(
            {
                "fps": now["frames"] - previous["frames"],
                "mutations": now["mutations"] - previous["mutations"],
                "ws": frames_received - received_before,
                "heap": now["heap"] / 2**20,
                "nodes": now["nodes"],
            }
        )
        previous, received_before = now, frames_received
    seconds = time.perf_counter() - started
    _say(f"big: {await run.locator('.status-text').inner_text()}")
    final = await sample(page, cdp)
    fps, writes, heap = ([row[name] for row in rows] for name in ("fps", "mutations", "heap"))
    _say(
        f"\n{BIG_JOBS:,}-job import with the history open: {seconds:.1f} s to completed, {len(rows)} samples"
    )
    _say(f"  frames/s       min {min(fps)}  median {statistics.median(fps)}  max {max(fps)}")
    _say(f"  table writes/s median {statistics.median(writes)}  max {max(writes)}")
    _say(f"  ws frames/s    max {max(r['ws'] for r in rows)}  total {frames_received}")
    _say(f"  JS heap MiB    start {heap[0]:.1f}  peak {max(heap):.1f}  end {final['heap'] / 2**20:.1f}")
    _say(f"  DOM nodes      peak {max(r['nodes'] for r in rows):.0f}")
    _say(f"  long tasks    {final['longTasks']} (longest {final['longest']:.0f} ms)")


async def run(services: Services, largest: str) -> None:
    login = f"{services.gateway_url}/login#token={services.token}"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=shutil.which("chromium"), args=CHROMIUM_FLAGS
        )
        page = await browser.new_page()
        await page.goto(login)
        await page.goto(f"{services.gateway_url}/feeds")
        await page.locator(f"#feeds tr[data-feed-id={largest}]").wait_for()
        first = await import_now(page, largest)
        again = await import_now(page, largest)
        size = (ROOT / "tests" / "data" / DEMO_FEEDS[largest]).stat().st_size
        _say(f'"Import now" to completed, {largest} ({size / 1024:.0f} KiB), feeds page:')
        _say(f"  first import (new): {first:.2f} s   again (unchanged): {again:.2f} s")
        await page.close()
        await watch_big_import(browser, services, login)
        await browser.close()


def main() -> None:
    largest = max(
        DEMO_FEEDS, key=lambda feed_id: (ROOT / "tests" / "data" / DEMO_FEEDS[feed_id]).stat().st_size
    )
    with tempfile.TemporaryDirectory() as directory:
        served = Path(directory)
        for name in DEMO_FEEDS.values():
            shutil.copy(ROOT / "tests" / "data" / name, served)
        write_feed(served / "big.rss", "big", BIG_JOBS)
        unique = uuid.uuid4().hex[:8]
        with FeedServer(served, conditional=False) as feed_server:
            registry = [{"id": feed_id, "url": feed_server.url(name)} for feed_id, name in DEMO_FEEDS.items()]
            registry.append({"id": "big", "url": feed_server.url("big.rss")})
            (served / "feeds.yaml").write_text(yaml.safe_dump({"feeds": registry}))
            env = SERVICE_SETTINGS | {
                "FEEDS_FILE": str(served / "feeds.yaml"),
                "KAFKA_TOPIC_PREFIX": f"bench-dashboard-{unique}.",
                "MONGODB_DATABASE": f"bench_dashboard_{unique}",
            }
            try:
                with Services(env, served / "logs", free_port()).running() as services:
                    asyncio.run(run(services, largest))
            finally:
                asyncio.run(clean_up(env["KAFKA_TOPIC_PREFIX"], env["MONGODB_DATABASE"]))


async def clean_up(prefix: str, database: str) -> None:
    settings = CommonSettings()
    client: AsyncMongoClient[Any] = AsyncMongoClient(settings.mongodb_url)
    await client.drop_database(database)
    await client.close()
    admin = AIOKafkaAdminClient(**client_options(settings))
    await admin.start()
    try:
        await admin.delete_topics([name for name in await admin.list_topics() if name.startswith(prefix)])
    finally:
        await admin.close()


if __name__ == "__main__":
    main()
