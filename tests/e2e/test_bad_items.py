"""Bad items fail alone, as a user sees it: a feed with one 2 MB item imports every other job."""

import json
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from launcher.processes import Services
from tests.conftest import DATA
from tests.e2e.conftest import running_services

pytestmark = pytest.mark.e2e

BASE_FEED = "wwr_back_end_2022.rss"
# 2 MB: a 1 MiB title and 350,000 CJK characters of description (3 bytes each). The field caps keep
# the title and the first 262,144 characters of the description, which the job carries twice (as HTML
# and as text): still 2.6 MB encoded, far over the 1,000,000-byte limit.
HUGE_ITEM = (
    f"<item><title>{'Senior Engineer ' * 65_536}</title><guid>huge-1</guid>"
    f"<description>{'職務内容' * 87_500}</description></item>"
)


@pytest.fixture
def services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    feed = (DATA / BASE_FEED).read_text(encoding="utf-8").replace("</channel>", HUGE_ITEM + "</channel>")
    (tmp_path / "bad-items.rss").write_text(feed, encoding="utf-8")
    with running_services(namespace, tmp_path, tmp_path, {"bad-items": "bad-items.rss"}) as running:
        yield running


async def final_log(socket: Any, feed_id: str) -> dict[str, Any]:
    async for text in socket:
        event = json.loads(text)
        log = event["data"]
        if event["type"] == "import_log" and log["feed_id"] == feed_id and log["status"] != "running":
            return dict(log)
    raise AssertionError("the gateway closed the websocket before the run ended")


async def test_a_feed_with_one_2_mb_item_imports_all_the_others(services: Services) -> None:
    others = {item.findtext("guid") for item in ElementTree.parse(DATA / BASE_FEED).getroot().iter("item")}
    assert len(HUGE_ITEM.encode()) > 2_000_000 and len(others) == 59

    async with (
        httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client,
        websockets.connect(
            f"ws://127.0.0.1:{services.gateway_port}/ws", max_size=None, additional_headers=services.headers
        ) as socket,
    ):
        assert (await client.post("/api/imports", json={"feeds": ["bad-items"]})).status_code == 202
        log = await final_log(socket, "bad-items")

    assert log["status"] == "completed", log
    assert (log["total_fetched"], log["new"], log["failed"]) == (60, 59, 1)
    [failure] = log["failures"]
    assert (failure["job_key"], failure["reason_code"]) == ("127.0.0.1:huge-1", "too_large")
    size = int(failure["message"].removeprefix("the job is ").partition(" bytes")[0].replace(",", ""))
    assert failure["message"] == f"the job is {size:,} bytes encoded; the limit is 1,000,000"
    assert size > 1_000_000
