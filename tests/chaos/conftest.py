"""The four services as processes on a generated feed of thousands of jobs, for crash cases."""

import contextlib
import os
import signal
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from launcher.processes import Services
from tests.e2e.conftest import running_services

JOBS = 20_000
FEED_ID = "chaos"
ITEM = (
    "<item><title>Engineer {n}</title><link>https://jobs.example.com/{n}</link><guid>chaos-{n}</guid>"
    "<description><![CDATA[<p>Build things at Company {n}.</p>{padding}]]></description></item>"
)


def write_feed(path: Path, jobs: int) -> None:
    items = "".join(ITEM.format(n=n, padding="<p>More about the role.</p>" * 20) for n in range(jobs))
    path.write_text(f'<rss version="2.0"><channel><title>chaos</title>{items}</channel></rss>')


@pytest.fixture
def services(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    write_feed(tmp_path / "chaos.rss", JOBS)
    # A dead fetcher's lease ends in 3 s and any replica looks for its runs every second.
    recovering = {"FETCH_LEASE_SECONDS": "3", "FETCH_RECOVERY_INTERVAL_SECONDS": "1"}
    with running_services(namespace, tmp_path, tmp_path, {FEED_ID: "chaos.rss"}, **recovering) as running:
        yield running


async def trigger(services: Services) -> str:
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        response = await client.post("/api/imports", json={"feeds": [FEED_ID]})
    assert response.status_code == 202
    return str(response.json()["trigger_id"])


async def runs_of(services: Services, trigger_id: str) -> list[dict[str, Any]]:
    """The trigger's ImportLogs, newest first: one, however often its request was delivered."""
    async with httpx.AsyncClient(base_url=services.gateway_url, headers=services.headers) as client:
        page = (await client.get("/api/imports", params={"feed": FEED_ID})).json()
    return [log for log in page["items"] if log["trigger_id"] == trigger_id]


async def latest_log(services: Services, trigger_id: str) -> dict[str, Any] | None:
    return next(iter(await runs_of(services, trigger_id)), None)


def listener_pid(port: int) -> int:
    """The process listening on a loopback TCP port (the local stack's Kafka or store)."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        with contextlib.suppress(OSError):
            if os.readlink(fd).removeprefix("socket:[").removesuffix("]") in inodes:
                return int(fd.parts[2])
    raise AssertionError(f"nothing of ours listens on port {port}")


@contextlib.contextmanager
def paused(pid: int) -> Iterator[None]:
    """SIGSTOP: the process holds its connections but answers nothing, as in a long GC or a VM stall."""
    os.kill(pid, signal.SIGSTOP)
    try:
        yield
    finally:
        os.kill(pid, signal.SIGCONT)
