"""A service killed mid-import (SIGKILL) and restarted: every job stored once, every run exact."""

import asyncio
import random
import time
from collections.abc import Callable
from typing import Any

import pytest

from launcher.processes import Services
from tests.chaos.conftest import JOBS, latest_log, trigger


async def wait_for(
    services: Services, trigger_id: str, until: Callable[[dict[str, Any]], bool], timeout: float
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        log = await latest_log(services, trigger_id)
        if log is not None and until(log):
            return log
        await asyncio.sleep(0.2)
    raise AssertionError(f"not reached in {timeout} s: {await latest_log(services, trigger_id)}")


def counted(log: dict[str, Any]) -> int:
    return int(log["new"] + log["updated"] + log["unchanged"] + log["failed"])


async def test_a_fetcher_killed_mid_feed_leaves_a_run_its_restart_finishes_exactly(
    services: Services, database: Any
) -> None:
    trigger_id = await trigger(services)
    started = await wait_for(services, trigger_id, lambda log: counted(log) >= 2_000, timeout=60)
    assert started["status"] == "running"

    services.kill("fetcher")
    killed_at = time.monotonic()
    services.restart("fetcher")
    log = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=120)

    assert (log["run_id"], log["status"]) == (started["run_id"], "completed")
    assert (log["total_fetched"], log["new"], log["updated"], log["failed"]) == (JOBS, JOBS, 0, 0)
    assert log["warnings"] == ["the fetcher importing this run stopped during the fetch; fetched again"]
    assert await database.jobs.count_documents({}) == JOBS
    assert time.monotonic() - killed_at < 60  # the lease's 3 s and the re-fetch, not the logger's timeout


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("service", ["processor", "logger"])
async def test_a_consumer_killed_at_any_point_is_redelivered_and_counted_once(
    services: Services, database: Any, service: str, seed: int
) -> None:
    kill_after = int(JOBS * random.Random(seed).uniform(0.05, 0.9))
    trigger_id = await trigger(services)
    await wait_for(services, trigger_id, lambda log: counted(log) >= kill_after, timeout=60)

    services.kill(service)
    services.restart(service)
    log = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=120)

    assert (log["status"], log["total_fetched"], log["new"], log["updated"], log["failed"]) == (
        "completed",
        JOBS,
        JOBS,
        0,
        0,
    )
    assert await database.jobs.count_documents({}) == JOBS
