"""The whole system as a user runs it: four service processes, real stack, feeds over HTTP, /ws live."""

import asyncio
import json
import xml.etree.ElementTree as ElementTree
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets

from launcher.processes import Services
from tests.conftest import DATA
from tests.e2e.conftest import FEEDS
from tests.scrape import value

pytestmark = pytest.mark.e2e


def guids(name: str) -> list[str]:
    """Counted independently of the importer: the plain standard-library view of the file."""
    return [item.findtext("guid") or "" for item in ElementTree.parse(DATA / name).getroot().iter("item")]


class Stream:
    """Everything the gateway's /ws pushes, recorded as it arrives."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.changed = asyncio.Condition()

    async def record(self, socket: Any) -> None:
        async for text in socket:
            async with self.changed:
                self.events.append(json.loads(text))
                self.changed.notify_all()

    async def final_logs(self, trigger_id: str, runs: int, timeout: float = 120) -> dict[str, dict[str, Any]]:
        """Wait until `runs` runs of the trigger have reached a final state; return them by feed id."""
        async with asyncio.timeout(timeout), self.changed:
            while len(logs := self._final(trigger_id)) < runs:
                await self.changed.wait()
        return logs

    def _final(self, trigger_id: str) -> dict[str, dict[str, Any]]:
        logs = [e["data"] for e in self.events if e["type"] == "import_log"]
        return {
            log["feed_id"]: log
            for log in logs
            if log.get("trigger_id") == trigger_id and log["status"] != "running"
        }

    def statuses(self, run_ids: set[str]) -> list[dict[str, Any]]:
        return [
            e["data"] for e in self.events if e["type"] == "job_status" and e["data"]["run_id"] in run_ids
        ]

    async def all_statuses(self, run_ids: set[str], count: int, timeout: float = 30) -> list[dict[str, Any]]:
        """Statuses and logs come from two topics: a run's last status may follow its final log."""
        async with asyncio.timeout(timeout), self.changed:
            while len(self.statuses(run_ids)) < count:
                await self.changed.wait()
        return self.statuses(run_ids)


@pytest.fixture
async def stream(services: Services) -> AsyncIterator[Stream]:
    recorded = Stream()
    async with websockets.connect(
        f"ws://127.0.0.1:{services.gateway_port}/ws", additional_headers=services.headers
    ) as socket:
        # Per-job frames are sent only to clients that ask for them.
        await socket.send(json.dumps({"subscribe": {"types": ["job_status", "import_log"]}}))
        task = asyncio.create_task(recorded.record(socket))
        yield recorded
        task.cancel()


async def trigger(services: Services) -> str:
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        response = await client.post("/api/imports", json={"feeds": list(FEEDS)})
    assert response.status_code == 202
    return str(response.json()["trigger_id"])


async def test_two_feeds_sharing_jobs_import_with_exact_counts_then_all_unchanged(
    services: Services, stream: Stream
) -> None:
    remote, back_end = guids(FEEDS["wwr-remote"]), guids(FEEDS["wwr-back-end"])
    shared = set(remote) & set(back_end)
    assert (len(remote), len(back_end), len(shared)) == (100, 59, 10)

    first = await stream.final_logs(await trigger(services), runs=2)

    for feed_id, items in (("wwr-remote", remote), ("wwr-back-end", back_end)):
        log = first[feed_id]
        assert log["status"] == "completed", log
        assert log["total_fetched"] == len(items)
        assert log["new"] + log["updated"] + log["unchanged"] == len(set(items))
        assert log["failed"] == 0, log["failures"]
    assert first["wwr-remote"]["new"] + first["wwr-back-end"]["new"] == len(set(remote) | set(back_end))
    assert first["wwr-remote"]["unchanged"] + first["wwr-back-end"]["unchanged"] == len(shared)
    run_ids = {log["run_id"] for log in first.values()}
    statuses = await stream.all_statuses(run_ids, len(remote) + len(back_end))
    assert len({(s["run_id"], s["job_key"]) for s in statuses}) == len(remote) + len(back_end)

    second = await stream.final_logs(await trigger(services), runs=2)

    assert second["wwr-remote"]["unchanged"] == len(remote)
    assert second["wwr-back-end"]["unchanged"] == len(back_end)
    assert all(log["new"] == log["updated"] == log["failed"] == 0 for log in second.values())

    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        history = (await client.get("/api/imports", params={"limit": 10})).json()["items"]
    assert [log["run_id"] for log in history] == sorted((log["run_id"] for log in history), reverse=True)
    assert {log["run_id"] for log in history} == run_ids | {log["run_id"] for log in second.values()}


def searched_text(job: dict[str, Any]) -> str:
    """What `q` looks in: the title, the company's name and the description."""
    return f"{job['title']} {(job['company'] or {}).get('name', '')} {job['description_text'] or ''}".lower()


async def feeds_once_healthy(client: httpx.AsyncClient, feed_id: str) -> dict[str, Any]:
    """The registry once `feed_id` shows its success, which the fetcher records after the run ends."""
    async with asyncio.timeout(10):
        while True:
            feeds = {feed["id"]: feed for feed in (await client.get("/api/feeds")).json()["items"]}
            if feeds[feed_id]["last_success_at"]:
                return feeds
            await asyncio.sleep(0.1)


async def test_the_gateway_serves_history_feeds_jobs_and_filtered_live_events(services: Services) -> None:
    async with (
        httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client,
        websockets.connect(
            f"ws://127.0.0.1:{services.gateway_port}/ws", additional_headers=services.headers
        ) as socket,
    ):
        await socket.send(json.dumps({"subscribe": {"feed_id": "wwr-back-end", "types": ["import_log"]}}))
        await socket.send(json.dumps({"subscribe": {"colour": "red"}}))
        assert json.loads(await socket.recv())["type"] == "error"
        trigger_id = await trigger(services)
        heard = []
        async with asyncio.timeout(120):
            while not heard or heard[-1]["data"]["status"] == "running":
                heard.append(json.loads(await socket.recv()))
        assert {(event["type"], event["data"]["feed_id"]) for event in heard} == {
            ("import_log", "wwr-back-end")
        }
        run_id = heard[-1]["data"]["run_id"]

        assert (await client.get("/")).text.count("Import history") >= 1
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/readyz")).status_code == 200
        assert value((await client.get("/metrics")).text, "job_importer_websocket_clients") == 1
        assert (await client.post("/api/imports", json={"feeds": "not-a-list"})).status_code == 422

        one = (await client.get(f"/api/imports/{run_id}")).json()
        assert not {"counting", "version"} & set(one)  # the logger's bookkeeping stays inside
        assert (one["trigger_id"], one["status"], one["new"] + one["unchanged"]) == (
            trigger_id,
            "completed",
            59,
        )
        assert (await client.get("/api/imports/no-such-run")).status_code == 404
        completed = (
            await client.get("/api/imports", params={"feed": "wwr-back-end", "status": "completed"})
        ).json()
        assert [log["run_id"] for log in completed["items"]] == [run_id]

        feeds = await feeds_once_healthy(client, "wwr-back-end")
        assert set(feeds) == set(FEEDS)
        assert feeds["wwr-back-end"]["last_success_at"] and feeds["wwr-back-end"]["consecutive_failures"] == 0

        first = (await client.get("/api/jobs", params={"q": "ENGINEER", "limit": 5})).json()
        assert "items" in first, first
        second = (
            await client.get(
                "/api/jobs", params={"q": "engineer", "limit": 5, "cursor": first["next_cursor"]}
            )
        ).json()
        found = first["items"] + second["items"]
        keys = [job["job_key"] for job in found]
        assert (await client.get("/api/jobs", params={"cursor": "garbage"})).status_code == 400
        assert (await client.get("/api/imports", params={"limit": "many"})).status_code == 400
        assert len(set(keys)) == len(keys) == 10 and all("engineer" in searched_text(job) for job in found)
