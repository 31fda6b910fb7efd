"""CPU time and resident memory of the services, the store and the broker, from /proc (Linux)."""

import os
import re
import subprocess
import time
from pathlib import Path
from urllib.parse import urlsplit

from infra.settings import CommonSettings
from launcher.processes import Services

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def resident_megabytes(pid: int) -> tuple[float, float]:
    """(peak, now): VmHWM and VmRSS."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = dict(re.findall(r"^(VmHWM|VmRSS):\s+(\d+) kB", status, re.MULTILINE))
    return int(found.get("VmHWM", 0)) / 1024, int(found.get("VmRSS", 0)) / 1024


def cpu_seconds(pid: int) -> float:
    """User + system time so far, all threads."""
    after_name = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(after_name[11]) + int(after_name[12])) / TICKS_PER_SECOND


def listener_pid(address: str, default_port: int) -> int | None:
    """The process listening on the address's port (a URL or host:port), whichever program it is."""
    port = urlsplit(address if "//" in address else f"tcp://{address}").port or default_port
    listening = subprocess.run(
        ["ss", "-ltnpH", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"pid=(\d+)", listening)
    return int(found.group(1)) if found else None


def program_of(pid: int) -> str:
    arguments = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    named = [a.decode() for a in arguments if a.endswith((b"LocalMongo", b"ferretdb", b"mongod", b"Kafka"))]
    return named[0].rsplit("/", 1)[-1] if named else arguments[0].decode()


def watched(services: Services, settings: CommonSettings) -> dict[str, int]:
    """The services, the store and the broker (both found by the port they listen on)."""
    pids = {name: process.pid for name, process in services.processes.items()}
    for name, address, port in (
        ("store", settings.mongodb_url, 27017),
        ("kafka", settings.kafka_bootstrap_servers.split(",")[0], 9092),
    ):
        pids |= {name: pid} if (pid := listener_pid(address, port)) else {}
    return pids


def cpu_now(pids: dict[str, int]) -> dict[str, float]:
    """CPU seconds so far of each process, and of this one (feed server, polling) as "bench"."""
    return {name: cpu_seconds(pid) for name, pid in pids.items()} | {"bench": time.process_time()}


def cpu_line(before: dict[str, float], after: dict[str, float], wall: float) -> str:
    used = {name: after[name] - before[name] for name in before if name in after}
    parts = ", ".join(f"{name} {seconds:.1f}" for name, seconds in used.items())
    return f"{'':26}CPU s in {wall:.1f} s ({os.cpu_count()} cores): {parts}; sum {sum(used.values()):.1f}"


def peak_memory(name: str, services: Services, store_url: str) -> str:
    """VmHWM of each service after the group's last case; peak and now of the whole store process."""
    peaks = [f"{service} {resident_megabytes(p.pid)[0]:.0f}" for service, p in services.processes.items()]
    line = f"peak RSS MB after {name}: {', '.join(peaks)}"
    store = listener_pid(store_url, 27017)
    if store is None:
        return line + "; store process not found"
    peak, now = resident_megabytes(store)
    program = program_of(store)
    return line + f"; store ({program} pid {store}, the whole process) peak {peak:.0f} now {now:.0f}"
