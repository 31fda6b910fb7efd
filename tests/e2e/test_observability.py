"""What an operator sees of an import: every service's /metrics, and logs that are JSON lines naming
the run, feed and trigger they concern. Four service processes, real stack, one feed over HTTP."""

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets

from launcher.processes import SERVICES, Services
from schemas import topics
from tests.conftest import DATA
from tests.e2e.conftest import running_services
from tests.scrape import samples, scrape, value

pytestmark = pytest.mark.e2e
FEED_ID, FEED_FILE = "wwr-back-end", "wwr_back_end_2022.rss"
OUTCOMES = ("new", "updated", "unchanged", "failed")


@pytest.fixture
def services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    with running_services(namespace, tmp_path, DATA, {FEED_ID: FEED_FILE}) as running:
        yield running


async def imported(services: Services) -> dict[str, Any]:
    """Trigger the feed and return its ImportLog once final."""
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        response = await client.post("/api/imports", json={"feeds": [FEED_ID]})
        trigger_id = response.json()["trigger_id"]
        async with asyncio.timeout(120):
            while True:
                page = (await client.get("/api/imports", params={"feed": FEED_ID})).json()["items"]
                final = [
                    log for log in page if log["trigger_id"] == trigger_id and log["status"] != "running"
                ]
                if final:
                    return dict(final[0])
                await asyncio.sleep(0.2)


async def metrics_of(services: Services, name: str) -> str:
    return await asyncio.to_thread(scrape, services.url(name, "/metrics"))


async def lag_settled(services: Services, name: str) -> list[float]:
    """The consumer's lag per partition, once every partition's is 0 (offsets commit after the writes)."""
    async with asyncio.timeout(30):
        while True:
            lags = [s.value for s in samples(await metrics_of(services, name)) if s.name.endswith("_lag")]
            if lags and not any(lags):
                return lags
            await asyncio.sleep(0.2)


async def test_every_service_exposes_the_series_of_an_import_with_the_import_logs_numbers(
    services: Services,
) -> None:
    prefix = services.env["KAFKA_TOPIC_PREFIX"]
    async with websockets.connect(
        f"ws://127.0.0.1:{services.gateway_port}/ws", additional_headers=services.headers
    ):
        log = await imported(services)
        processor_lag, logger_lag = (
            await lag_settled(services, "processor"),
            await lag_settled(services, "logger"),
        )
        fetcher, processor, logger, gateway = [await metrics_of(services, name) for name in SERVICES]

    assert log["status"] == "completed" and log["new"] == 59
    assert (
        len(processor_lag) == 3 and len(logger_lag) == 6
    )  # every partition of jobs.fetched; runs + statuses

    for outcome in OUTCOMES:
        counted = value(processor, "job_importer_jobs_total", outcome=outcome) or 0
        counted += value(fetcher, "job_importer_jobs_total", outcome=outcome) or 0  # items that are no job
        assert counted == log[outcome], outcome

    feed = {"feed_id": FEED_ID, "host": "127.0.0.1"}
    assert value(fetcher, "job_importer_fetches_total", **feed, status_code="200") == 1
    assert value(fetcher, "job_importer_fetch_bytes_total", **feed) == log["bytes"]
    assert value(fetcher, "job_importer_fetch_duration_seconds_count", host="127.0.0.1") == 1
    assert value(fetcher, "job_importer_parses_total", parse_mode=log["parse_mode"]) == 1
    assert value(fetcher, "job_importer_parse_warnings_total") == len(log["warnings"])
    assert value(fetcher, "job_importer_host_pauses_total") is None  # no host asked us to wait

    assert value(logger, "job_importer_runs_total", status="completed") == 1
    assert value(logger, "job_importer_runs_total", status="failed") == 0
    assert value(gateway, "job_importer_websocket_clients") == 1

    batches = [
        (processor, topics.JOBS_FETCHED),
        (logger, topics.JOBS_STATUS),
        (logger, topics.IMPORTS_RUNS),
        (gateway, topics.JOBS_STATUS),
    ]
    for text, topic in batches:
        assert (value(text, "job_importer_batch_size_count", topic=prefix + topic) or 0) > 0, topic
        assert (value(text, "job_importer_batch_duration_seconds_count", topic=prefix + topic) or 0) > 0
    assert value(processor, "job_importer_batch_size_sum", topic=prefix + topics.JOBS_FETCHED) == 59

    for text in (processor, logger):
        assert (value(text, "job_importer_store_write_seconds_count") or 0) > 0
        assert value(text, "job_importer_store_write_retries_total") == 0
    poisoned = prefix + topics.JOBS_FETCHED
    assert value(processor, "job_importer_dead_letters_total", topic=poisoned) == 0


def lines_of(services: Services, name: str) -> list[dict[str, Any]]:
    """Every line the service wrote to stdout and stderr, each of which must be a JSON object."""
    lines = (services.log_dir / f"{name}.log").read_text().splitlines()
    parsed = [json.loads(line) for line in lines]
    assert all(isinstance(entry, dict) for entry in parsed)
    return parsed


async def test_logs_are_json_lines_and_those_about_a_run_name_it(services: Services) -> None:
    log = await imported(services)
    services.stop()  # every line flushed, shutdown lines included
    run = {"run_id": log["run_id"], "feed_id": FEED_ID, "trigger_id": log["trigger_id"]}

    fetcher, processor, logger, gateway = [lines_of(services, name) for name in SERVICES]

    assert any(line["message"].startswith("FastStream app started") for line in fetcher)  # the banner
    assert any(line["logger"] == "uvicorn.access" for line in gateway)
    [fetched] = [line for line in fetcher if line["message"] == "feed fetched"]
    assert run.items() <= fetched.items()
    [requested] = [line for line in fetcher if line["message"] == "import requested"]
    assert requested["trigger_id"] == log["trigger_id"]
    batches = [line for line in processor if line["message"] == "batch imported"]
    assert batches and all(run.items() <= line.items() for line in batches)
    [ended] = [line for line in logger if line["message"] == "run ended"]
    assert run.items() <= ended.items() and (ended["status"], ended["new"]) == ("completed", 59)
