"""The gateway as it runs (uvicorn, its own process): websocket admission, frame and body limits, binding."""

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
import websockets
from websockets.exceptions import ConnectionClosedError, InvalidStatus

from launcher.processes import Services, free_port


@pytest.fixture
def gateway(namespace: dict[str, str], tmp_path: Path) -> Iterator[Services]:
    limits = {"GATEWAY_MAX_WS_MESSAGE_BYTES": "4096", "GATEWAY_WS_PING_SECONDS": "1"}
    with Services(namespace | limits, tmp_path / "logs", free_port()).running(("gateway",)) as running:
        yield running


def ws_url(gateway: Services) -> str:
    return f"ws://127.0.0.1:{gateway.gateway_port}/ws"


def rss_kib(gateway: Services) -> int:
    status = Path(f"/proc/{gateway.processes['gateway'].pid}/status").read_text()
    return int(next(line for line in status.splitlines() if line.startswith("VmRSS:")).split()[1])


async def test_a_page_of_another_origin_cannot_open_the_websocket(gateway: Services) -> None:
    with pytest.raises(InvalidStatus) as refused:
        await websockets.connect(
            ws_url(gateway), origin="https://evil.example", additional_headers=gateway.headers
        )
    assert refused.value.response.status_code == 403
    own = f"http://127.0.0.1:{gateway.gateway_port}"
    async with websockets.connect(ws_url(gateway), origin=own, additional_headers=gateway.headers) as ws:
        await ws.send(json.dumps({"subscribe": {"types": ["import_log"]}}))
        await ws.ping()


async def test_the_websocket_needs_a_token_when_reads_do(gateway: Services) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}):
        with pytest.raises(InvalidStatus) as refused:
            await websockets.connect(ws_url(gateway), additional_headers=headers)
        assert refused.value.response.status_code == 403


async def test_an_oversized_frame_closes_the_connection_with_1009(gateway: Services) -> None:
    async with websockets.connect(ws_url(gateway), additional_headers=gateway.headers) as ws:
        await ws.send("x" * 10_000)
        with pytest.raises(ConnectionClosedError) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_a_peer_that_stops_answering_pings_is_dropped(gateway: Services) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.gateway_port)
    token = gateway.headers["Authorization"]
    writer.write(
        b"GET /ws HTTP/1.1\r\nHost: gateway\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + f"Authorization: {token}\r\n\r\n".encode()
    )
    assert (await reader.readuntil(b"\r\n\r\n")).startswith(b"HTTP/1.1 101 ")
    # This peer reads what comes (pings) but never answers: the gateway hangs up within seconds.
    async with asyncio.timeout(15):
        while await reader.read(65536):
            pass
    writer.close()


async def post_raw(gateway: Services, headers: dict[str, str], body: bytes) -> bytes:
    """Send a POST's head and `body` (maybe only part of what the head announces), read the answer.

    Bytes the gateway never reads would make its close a reset that can destroy the answer in
    flight, so the caller sends no more than the gateway reads before it answers.
    """
    reader, writer = await asyncio.open_connection("127.0.0.1", gateway.gateway_port)
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    writer.write(f"POST /api/feeds HTTP/1.1\r\nHost: gateway\r\n{head}\r\n".encode() + body)
    try:
        return await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 30)
    finally:
        writer.close()


async def test_a_10_mb_body_is_refused_before_it_is_read(gateway: Services) -> None:
    before = rss_kib(gateway)
    json_type = {"Content-Type": "application/json"} | gateway.headers
    declared = json_type | {"Content-Length": str(10 * 2**20)}
    chunked = json_type | {"Transfer-Encoding": "chunked"}
    piece = b"10000\r\n" + b" " * 0x10000 + b"\r\n"  # a chunk of 64 KiB

    answers = [
        await post_raw(gateway, declared, b""),  # answered on the head alone: nothing is read
        await post_raw(gateway, chunked, piece * 2),  # no length: counted as it arrives
    ]

    assert all(answer.startswith(b"HTTP/1.1 413 ") for answer in answers), answers
    assert all(b"content-type: application/problem+json" in answer.lower() for answer in answers)
    assert rss_kib(gateway) - before < 4 * 1024


def test_the_gateway_listens_on_loopback_only_by_default(gateway: Services) -> None:
    with socket.create_connection(("127.0.0.1", gateway.gateway_port), timeout=2):
        pass
    outside = socket.gethostbyname(socket.gethostname())
    if outside.startswith("127."):
        outside = _first_non_loopback_address()
    with pytest.raises(OSError), socket.create_connection((outside, gateway.gateway_port), timeout=2):
        pass


def _first_non_loopback_address() -> str:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.connect(("10.255.255.255", 1))  # no packet is sent: this picks the outgoing interface
        return str(probe.getsockname()[0])
