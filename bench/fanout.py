"""The gateway's websocket fan-out: N clients on /ws, a synthetic stream through Kafka; frames/s
delivered and latency from the event's send to its arrival at a client, first with every client
reading, then with stalled clients too (subscribed, never reading). Prints numbers; asserts nothing.

python -m bench.fanout [--clients 1000] [--stalled 10] [--seconds 20] [--rate 25] [--mode import_log]
                       [--checkout PATH] [--workers 2] [--payload 1000] [--compression deflate]

Modes: import_log, one frame per event for every client (the default subscription): the fan-out
itself; job_status, per-job frames to clients subscribed to types ["job_status"].
Needs Kafka and the store (the gateway's readiness); uses its own topics, removed at the end.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient

from bench import listeners, usage
from bench.listeners import Tally
from infra.kafka import client_options
from infra.settings import CommonSettings
from launcher.processes import ROOT, free_port
from schemas import topics

SUBSCRIPTIONS = {"import_log": None, "job_status": {"subscribe": {"types": ["job_status"]}}}
TOPICS = {"import_log": topics.IMPORTS_LOGS, "job_status": topics.JOBS_STATUS}


def event(mode: str, number: int, padding: str) -> dict[str, Any]:
    # The send time rides in trigger_id: a field every gateway relays as it came.
    ids = {
        "run_id": f"bench-run-{number % 50}",
        "feed_id": "bench-feed",
        "trigger_id": f"bench:{time.time()}",
    }
    if mode == "import_log":
        return ids | {
            "status": "running",
            "total_fetched": number,
            "feed_url": f"http://bench.invalid/{padding}",
        }
    return ids | {"job_key": f"job-{number}", "outcome": "new", "title": padding}


async def produce(producer: AIOKafkaProducer, topic: str, options: argparse.Namespace) -> int:
    """`--rate` events per second for `--seconds`, in small steps; returns how many."""
    padding, started, sent = "x" * options.payload, time.monotonic(), 0
    while (elapsed := time.monotonic() - started) < options.seconds:
        for _ in range(int(elapsed * options.rate) + 1 - sent):
            await producer.send(topic, json.dumps(event(options.mode, sent, padding)).encode())
            sent += 1
        await asyncio.sleep(0.005)
    return sent


class Gateway:
    def __init__(self, options: argparse.Namespace, prefix: str, log: Path) -> None:
        settings, self.port = CommonSettings(), free_port()
        env = os.environ | {
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers,
            "MONGODB_URL": settings.mongodb_url,
            "REDIS_URL": settings.redis_url,
            "KAFKA_TOPIC_PREFIX": prefix,
            "GATEWAY_PORT": str(self.port),
            "GATEWAY_PUBLIC_READS": "true",
            "LOG_LEVEL": "WARNING",
        }
        with log.open("ab") as output:
            command = [sys.executable, "-m", "services.gateway"]
            self.process = subprocess.Popen(
                command, cwd=options.checkout, env=env, stdout=output, stderr=output
            )

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/readyz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("the gateway did not become ready")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()


class Bench:
    def __init__(self, options: argparse.Namespace, gateway: Gateway, producer: AIOKafkaProducer, topic: str):
        self.options, self.gateway, self.producer, self.topic = options, gateway, producer, topic
        self.url = f"ws://127.0.0.1:{gateway.port}/ws"
        listening = {"subscription": SUBSCRIPTIONS[options.mode], "compression": options.compression}
        self.workers = listeners.start(options.workers, self.url, options.clients, listening)

    async def measure(self, name: str) -> None:
        pids = {"gateway": self.gateway.process.pid} | {f"w{n}": w.pid for n, w in enumerate(self.workers)}
        cpu_before, started = usage.cpu_now(pids), time.time()
        listeners.measure(self.workers, started)
        events = await produce(self.producer, self.topic, self.options)
        wall = time.time() - started
        tally = await listeners.collect(self.workers, started + wall)  # frames may trail the stream
        cpu = {name: seconds - cpu_before[name] for name, seconds in usage.cpu_now(pids).items()}
        say(row(name, self.options.clients, events, wall, tally, cpu, tally.last_arrival - started))

    async def with_stalled(self) -> None:
        subscription = SUBSCRIPTIONS[self.options.mode]
        stalled = [listeners.stall(self.url, subscription) for _ in range(self.options.stalled)]
        await self.measure(f"+{self.options.stalled} stalled")
        codes = await asyncio.gather(*(asyncio.to_thread(listeners.close_code, *each) for each in stalled))
        closed = sum(code is not None for code in codes)
        say(f"{'':22}stalled clients closed by the gateway: {closed}, codes {codes}")


def row(
    name: str, clients: int, events: int, wall: float, tally: Tally, cpu: dict[str, float], delivering: float
) -> str:
    """Frames/s over the time from the first send to the last frame's arrival (late frames count)."""
    p50, p99 = (tally.percentile(share) * 1000 for share in (0.50, 0.99))
    got = tally.frames / (events * clients)
    per_frame = {who: seconds * 1e6 / max(tally.frames, 1) for who, seconds in cpu.items()}
    clients_cpu = sum(seconds for who, seconds in per_frame.items() if who.startswith("w"))
    return (
        f"{name:<22}{clients:>8}{events / wall:>9.1f}{tally.frames / max(delivering, wall):>11.0f}{got:>8.1%}"
        f"{p50:>8.1f}{p99:>8.1f}{tally.longest * 1000:>8.0f}{per_frame['gateway']:>9.1f}{clients_cpu:>9.1f}"
    )


HEADER = (
    f"{'scenario':<22}{'clients':>8}{'events/s':>9}{'frames/s':>11}{'got':>8}"
    f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}{'gw µs/f':>9}{'cl µs/f':>9}"
)


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--stalled", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=20, help="of each scenario")
    parser.add_argument("--rate", type=float, default=25, help="events per second produced")
    parser.add_argument("--mode", choices=sorted(SUBSCRIPTIONS), default="import_log")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="whose gateway to run")
    parser.add_argument("--workers", type=int, default=2, help="processes sharing the reading clients")
    parser.add_argument("--payload", type=int, default=1000, help="bytes of padding per event")
    parser.add_argument(
        "--compression", choices=["deflate", "none"], default="deflate", help="offered, as browsers do"
    )
    return parser.parse_args()


async def main() -> None:
    options = arguments()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    settings, prefix = CommonSettings(), f"bench-fanout-{uuid.uuid4().hex[:8]}."
    log = Path(tempfile.mkdtemp(prefix="bench-fanout-")) / "gateway.log"
    gateway = Gateway(options, prefix, log)
    producer = AIOKafkaProducer(**client_options(settings))
    say(f"gateway of {options.checkout} (log {log}); {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    try:
        await asyncio.to_thread(gateway.wait_ready)
        await producer.start()
        bench = Bench(options, gateway, producer, prefix + TOPICS[options.mode])
        try:
            await warm_up(bench)
            say(f"mode {options.mode}, {options.payload} B padding, compression {options.compression}")
            say(HEADER)
            await bench.measure("all reading")
            if options.stalled:
                await bench.with_stalled()
        finally:
            listeners.stop(bench.workers)
        say(f"gateway peak RSS {usage.resident_megabytes(gateway.process.pid)[0]:.0f} MB")
    finally:
        await producer.stop()
        gateway.stop()
        await delete_topics(client_options(settings), prefix)


async def warm_up(bench: Bench) -> None:
    """Until events reach the clients: the gateway's consumers start at the end, once assigned."""
    seconds, bench.options.seconds = bench.options.seconds, 2
    try:
        for _ in range(30):
            listeners.measure(bench.workers, time.time())
            await produce(bench.producer, bench.topic, bench.options)
            if (await listeners.collect(bench.workers, time.time())).frames:
                return
        raise RuntimeError("no event reached a client")
    finally:
        bench.options.seconds = seconds


async def delete_topics(kafka: dict[str, Any], prefix: str) -> None:
    admin = AIOKafkaAdminClient(**kafka)
    await admin.start()
    try:
        ours = [name for name in await admin.list_topics() if name.startswith(prefix)]
        if ours:
            await admin.delete_topics(ours)
    finally:
        await admin.close()


if __name__ == "__main__":
    multiprocessing.set_start_method("spawn")
    asyncio.run(main())
