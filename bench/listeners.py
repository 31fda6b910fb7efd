"""Websocket clients for bench.fanout: worker processes that each read a share of the clients and
tally latency from the send time every event carries; and stalled clients that never read."""

import asyncio
import json
import math
import multiprocessing
import re
import socket
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.client import ClientProtocol
from websockets.frames import Close
from websockets.uri import parse_uri

BUCKET_SECONDS = 0.0001
SENT_AT = re.compile(r'"trigger_id": ?"bench:([0-9.]+)"')
QUIET_SECONDS = 6.0  # a tally is complete when no measured frame came for this long (> old 5 s timeout)


@dataclass
class Tally:
    buckets: dict[int, int] = field(default_factory=dict)
    frames: int = 0
    longest: float = 0.0
    last_arrival: float = 0.0

    def add(self, latency: float) -> None:
        bucket = int(latency / BUCKET_SECONDS)
        self.buckets[bucket] = self.buckets.get(bucket, 0) + 1
        self.frames += 1
        self.longest = max(self.longest, latency)
        self.last_arrival = time.time()

    def merge(self, other: "Tally") -> None:
        for bucket, count in other.buckets.items():
            self.buckets[bucket] = self.buckets.get(bucket, 0) + count
        self.frames, self.longest = self.frames + other.frames, max(self.longest, other.longest)
        self.last_arrival = max(self.last_arrival, other.last_arrival)

    def percentile(self, share: float) -> float:
        wanted, seen = math.ceil(share * self.frames), 0
        for bucket in sorted(self.buckets):
            seen += self.buckets[bucket]
            if seen >= wanted:
                return (bucket + 1) * BUCKET_SECONDS
        return math.nan


@dataclass
class Window:
    since: float = math.inf
    until: float = math.inf
    tally: Tally = field(default_factory=Tally)

    def record(self, text: str) -> None:
        found = SENT_AT.search(text)
        if found and self.since <= (sent := float(found.group(1))) < self.until:
            self.tally.add(time.time() - sent)

    async def settled(self) -> None:
        while True:
            before = self.tally.frames
            await asyncio.sleep(QUIET_SECONDS)
            if self.tally.frames == before:
                return


@dataclass
class Worker:
    process: multiprocessing.process.BaseProcess
    control: Connection

    @property
    def pid(self) -> int:
        assert self.process.pid is not None
        return self.process.pid


def start(workers: int, url: str, clients: int, listening: dict[str, Any]) -> list[Worker]:
    started = []
    for number in range(workers):
        ours, theirs = multiprocessing.Pipe()
        share = clients // workers + (number < clients % workers)
        process = multiprocessing.Process(target=_serve, args=(url, share, listening, theirs), daemon=True)
        process.start()
        started.append(Worker(process, ours))
    for worker in started:
        if worker.control.recv() != "ready":
            raise RuntimeError("a listener could not connect its clients")
    return started


def measure(workers: list[Worker], since: float) -> None:
    for worker in workers:
        worker.control.send(("measure", since))


async def collect(workers: list[Worker], until: float) -> Tally:
    for worker in workers:
        worker.control.send(("report", until))
    total = Tally()
    for worker in workers:
        total.merge(await asyncio.to_thread(worker.control.recv))
    return total


def stop(workers: list[Worker]) -> None:
    for worker in workers:
        worker.control.send(("stop", 0))
        worker.process.join(10)


def _serve(url: str, clients: int, listening: dict[str, Any], control: Connection) -> None:
    asyncio.run(_listen(url, clients, listening, control))


async def _listen(url: str, clients: int, listening: dict[str, Any], control: Connection) -> None:
    window, opening = Window(), asyncio.Semaphore(50)
    connections = await asyncio.gather(*(_open(url, listening, opening) for _ in range(clients)))
    readers = [asyncio.create_task(_read(connection, window)) for connection in connections]
    control.send("ready")
    while (command := await asyncio.to_thread(control.recv))[0] != "stop":
        if command[0] == "measure":
            window.since, window.until, window.tally = command[1], math.inf, Tally()
        else:
            window.until = command[1]
            await window.settled()
            control.send(window.tally)
    for reader in readers:
        reader.cancel()


async def _open(url: str, listening: dict[str, Any], opening: asyncio.Semaphore) -> ClientConnection:
    async with opening:
        compression = None if listening["compression"] == "none" else "deflate"
        connection = await connect(url, compression=compression, ping_interval=None, open_timeout=60)
        if listening["subscription"]:
            await connection.send(json.dumps(listening["subscription"]))
        return connection


async def _read(connection: ClientConnection, window: Window) -> None:
    async for message in connection:
        window.record(message if isinstance(message, str) else message.decode())


def stall(url: str, subscription: dict[str, Any] | None) -> tuple[socket.socket, ClientProtocol]:
    """A client that subscribes and then never reads, with a small receive buffer that fills fast."""
    uri = parse_uri(url)
    stalled = socket.socket()
    stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stalled.connect((uri.host, uri.port))
    protocol = ClientProtocol(uri)
    protocol.send_request(protocol.connect())
    stalled.sendall(b"".join(protocol.data_to_send()))
    while protocol.handshake_exc is None and not protocol.events_received():
        protocol.receive_data(stalled.recv(4096))
    if subscription:
        protocol.send_text(json.dumps(subscription).encode())
        stalled.sendall(b"".join(protocol.data_to_send()))
    return stalled, protocol


def close_code(stalled: socket.socket, protocol: ClientProtocol, seconds: float = 3) -> int | None:
    """Read what the gateway sent the stalled client at last: the code it closed with, or None."""
    stalled.settimeout(seconds)
    try:
        while data := stalled.recv(1 << 20):
            protocol.receive_data(data)
            protocol.events_received()
            if protocol.close_rcvd is not None:
                break
    except OSError:  # timed out (still open) or reset
        pass
    stalled.close()
    received: Close | None = protocol.close_rcvd
    return None if received is None else received.code
