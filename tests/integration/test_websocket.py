"""The gateway's /ws as a process against real Kafka: bad messages, and clients that never read."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.uri import parse_uri

from infra.kafka import client_options
from infra.settings import CommonSettings
from launcher.processes import ROOT, free_port
from schemas import topics
from tests.scrape import value

BUDGET_SECONDS = 0.25  # the rule: a client that never reads delays no one by more than this
PADDING = "x" * 2000


class Gateway:
    def __init__(self, namespace: dict[str, str], log: Path) -> None:
        self.port, self.prefix = free_port(), namespace["KAFKA_TOPIC_PREFIX"]
        settings = {
            "GATEWAY_PORT": str(self.port),
            "GATEWAY_PUBLIC_READS": "true",
            "GATEWAY_WS_QUEUE_SIZE": "100",
        }
        with log.open("ab") as output:
            command = [sys.executable, "-m", "services.gateway"]
            env = os.environ | namespace | settings
            self.process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
        self.url = f"ws://127.0.0.1:{self.port}/ws"

    def get(self, path: str) -> str | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=2) as response:
                return str(response.read().decode())
        except OSError:
            return None

    def clients(self) -> int:
        return int(value(self.get("/metrics") or "", "job_importer_websocket_clients") or 0)


@pytest.fixture
def gateway(namespace: dict[str, str], tmp_path: Path) -> Iterator[Gateway]:
    running = Gateway(namespace, tmp_path / "gateway.log")
    deadline = time.monotonic() + 60
    while running.get("/readyz") is None:
        assert running.process.poll() is None and time.monotonic() < deadline, (
            tmp_path / "gateway.log"
        ).read_text()
        time.sleep(0.2)
    yield running
    running.process.terminate()
    running.process.wait(20)


@pytest.fixture
async def producer(stack: CommonSettings) -> AsyncIterator[AIOKafkaProducer]:
    started = AIOKafkaProducer(**client_options(stack))
    await started.start()
    yield started
    await started.stop()


async def send_log(producer: AIOKafkaProducer, gateway: Gateway, run_id: str, padding: str = "") -> None:
    log = {
        "run_id": run_id,
        "feed_id": "f1",
        "status": "running",
        "feed_url": padding,
        "sent_at": time.time(),
    }
    await producer.send_and_wait(gateway.prefix + topics.IMPORTS_LOGS, json.dumps(log).encode())


async def next_frame(client: ClientConnection, wanted: str = "import_log") -> dict[str, Any]:
    while (frame := json.loads(await asyncio.wait_for(client.recv(), 10)))["type"] != wanted:
        pass
    return frame


async def listening(producer: AIOKafkaProducer, gateway: Gateway, client: ClientConnection) -> None:
    """Until a log reaches the client: the gateway's consumer starts at the end once assigned."""
    for attempt in range(60):
        await send_log(producer, gateway, f"hello-{attempt}")
        try:
            await asyncio.wait_for(next_frame(client), 0.5)
            return
        except TimeoutError:
            continue
    pytest.fail("no import log reached the client")


def stalled_client(url: str) -> socket.socket:
    """Subscribed by default, then never reads again; a small receive buffer fills quickly."""
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connecting: it sets the window
    stalled.connect(("127.0.0.1", parse_uri(url).port))
    protocol = ClientProtocol(parse_uri(url))
    protocol.send_request(protocol.connect())
    stalled.sendall(b"".join(protocol.data_to_send()))
    while not protocol.events_received() and protocol.handshake_exc is None:
        protocol.receive_data(stalled.recv(4096))
    return stalled


def read_to_the_end(stalled: socket.socket) -> bytes:
    stalled.settimeout(30)
    received = b""
    with stalled:
        while data := stalled.recv(1 << 20):
            received += data
    return received


async def test_a_malformed_message_gets_an_error_frame_and_the_connection_stays(
    gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    async with connect(gateway.url) as client:
        await listening(producer, gateway, client)
        for message in ('{"subscribe":{"types":[[1]]}}', "{not json", b"\x00\x01"):
            await client.send(message)
            error = await next_frame(client, "error")
            assert error["data"]["message"]

        await send_log(producer, gateway, "after-errors")
        assert (await next_frame(client))["data"]["run_id"] == "after-errors"


async def test_a_client_that_never_reads_does_not_delay_a_fast_one(
    gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    stalled = await asyncio.to_thread(stalled_client, gateway.url)
    async with connect(gateway.url) as fast:
        await listening(producer, gateway, fast)
        latencies = []
        for number in range(2000):  # 4 MB: more than the stalled client's socket buffers and outbox hold
            await send_log(producer, gateway, f"flood-{number}", PADDING)
            frame = await next_frame(fast)
            latencies.append(time.time() - frame["data"]["sent_at"])
    stalled.close()
    assert max(latencies) < BUDGET_SECONDS, sorted(latencies)[-5:]


async def test_a_flooded_client_that_never_reads_is_disconnected_and_the_fast_one_keeps_receiving(
    gateway: Gateway, producer: AIOKafkaProducer
) -> None:
    stalled = await asyncio.to_thread(stalled_client, gateway.url)
    async with connect(gateway.url) as fast:
        await listening(producer, gateway, fast)
        flooded = 0
        while gateway.clients() > 1:
            flooded += 1
            await send_log(producer, gateway, f"flood-{flooded}", PADDING)
            await next_frame(fast)
        assert await asyncio.to_thread(
            read_to_the_end, stalled
        )  # what it had buffered, then the end  # what it had buffered, then the end

        await send_log(producer, gateway, "after-the-drop")
        assert (await next_frame(fast))["data"]["run_id"] == "after-the-drop"
