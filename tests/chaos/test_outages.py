"""Kafka or the store stalled, Redis wiped mid-import: the run still ends exact, the services stay up."""

import asyncio
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from redis.asyncio import Redis

from infra.settings import CommonSettings
from launcher.processes import Services
from tests.chaos.conftest import JOBS, listener_pid, paused, runs_of, trigger
from tests.chaos.test_crashes import counted, wait_for

STALL_SECONDS = 20


def log_lines(services: Services) -> dict[str, int]:
    return {
        name: len((services.log_dir / f"{name}.log").read_bytes().splitlines()) for name in services.processes
    }


async def ready(services: Services, name: str) -> dict[str, Any]:
    async with httpx.AsyncClient(timeout=10) as client:
        return dict((await client.get(f"http://127.0.0.1:{services.health_ports[name]}/readyz")).json())


def port_of(address: str, default: int) -> int:
    return urlsplit(address if "//" in address else f"tcp://{address}").port or default


@pytest.mark.parametrize("dependency", ["kafka", "store"])
async def test_a_dependency_stalled_mid_import_delays_the_run_but_loses_nothing(
    services: Services, database: Any, dependency: str
) -> None:
    settings = CommonSettings()
    port = port_of(settings.kafka_bootstrap_servers.split(",")[0], 9092) if dependency == "kafka" else 0
    port = port or port_of(settings.mongodb_url, 27017)
    trigger_id = await trigger(services)
    await wait_for(services, trigger_id, lambda log: counted(log) >= JOBS // 4, timeout=60)

    lines_before = log_lines(services)
    with paused(listener_pid(port)):
        await asyncio.sleep(STALL_SECONDS / 2)
        readiness = await ready(services, "processor")
        await asyncio.sleep(STALL_SECONDS / 2)
    logged = {name: lines - lines_before[name] for name, lines in log_lines(services).items()}
    log = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=180)
    assert len(await runs_of(services, trigger_id)) == 1

    missing = "kafka" if dependency == "kafka" else "mongodb"
    assert readiness["ok"] is False and readiness["checks"][missing] is False, readiness
    assert all(lines <= 3 * STALL_SECONDS for lines in logged.values()), logged  # a few lines a second

    assert (log["status"], log["total_fetched"], log["new"], log["failed"]) == ("completed", JOBS, JOBS, 0)
    assert await database.jobs.count_documents({}) == JOBS
    assert all(process.poll() is None for process in services.processes.values())


async def test_redis_losing_its_state_and_connections_mid_import_loses_nothing(
    services: Services, database: Any
) -> None:
    trigger_id = await trigger(services)
    await wait_for(services, trigger_id, lambda log: counted(log) >= JOBS // 4, timeout=60)

    # What clients see of a restart: every connection dropped, every key gone, a moment of silence.
    redis = Redis.from_url(CommonSettings().redis_url)
    await redis.flushall()
    await redis.execute_command("CLIENT", "PAUSE", 3000, "ALL")
    await redis.execute_command("CLIENT", "KILL", "TYPE", "normal")
    await redis.aclose()
    log = await wait_for(services, trigger_id, lambda log: log["status"] != "running", timeout=180)
    assert len(await runs_of(services, trigger_id)) == 1

    assert (log["status"], log["total_fetched"], log["new"], log["failed"]) == ("completed", JOBS, JOBS, 0)
    assert await database.jobs.count_documents({}) == JOBS
    assert all(process.poll() is None for process in services.processes.values())
