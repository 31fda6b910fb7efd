"""Start the four services as child processes, wait until each is healthy, stop them all."""

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import IO

SERVICES = ("fetcher", "processor", "logger", "gateway")
ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Services:
    """The four services with one environment; their logs go to `log_dir/<service>.log`.

    The gateway's API token is the environment's first GATEWAY_API_TOKENS, or a new random one.
    """

    def __init__(self, env: dict[str, str], log_dir: Path, gateway_port: int) -> None:
        self.token = env.get("GATEWAY_API_TOKENS", "").split(",")[0] or secrets.token_urlsafe(24)
        self.env = {"GATEWAY_API_TOKENS": self.token} | env
        self.log_dir, self.gateway_port = log_dir, gateway_port
        self.health_ports = {name: free_port() for name in SERVICES if name != "gateway"}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs: list[IO[bytes]] = []

    @property
    def gateway_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    def url(self, name: str, path: str) -> str:
        """`path` on the port where `name` answers probes and scrapes (the gateway: its HTTP port)."""
        return f"http://127.0.0.1:{self.health_ports.get(name, self.gateway_port)}{path}"

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def start(self, timeout: float = 60, names: tuple[str, ...] = SERVICES, probe: str = "/readyz") -> None:
        """Spawn the services and wait until `probe` answers 200 on each (`/healthz`: alive will do)."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for name in names:
            self._spawn(name)
        self.wait_ready(timeout, names, probe)

    @contextlib.contextmanager
    def running(self, names: tuple[str, ...] = SERVICES) -> Iterator["Services"]:
        """Started, and stopped however the block ends."""
        self.start(names=names)
        try:
            yield self
        finally:
            self.stop()

    def kill(self, name: str) -> None:
        """SIGKILL, as a crash or the OOM killer would: no shutdown hook runs."""
        self.processes[name].kill()
        self.processes[name].wait()

    def restart(self, name: str, timeout: float = 60) -> None:
        self._spawn(name)
        self.wait_ready(timeout, [name])

    def add_replica(self, service: str, timeout: float = 60) -> str:
        """One more process of `service`, named e.g. "processor-2"; returns its name."""
        name = f"{service}-{sum(other.split('-')[0] == service for other in self.processes) + 1}"
        self.health_ports[name] = free_port()
        self._spawn(name)
        self.wait_ready(timeout, [name])
        return name

    def _spawn(self, name: str) -> None:
        log = (self.log_dir / f"{name}.log").open("ab")
        self.logs.append(log)
        self.processes[name] = subprocess.Popen(
            self.command(name), cwd=ROOT, env=self.environment(name), stdout=log, stderr=log
        )

    def command(self, name: str) -> list[str]:
        """How one process is started (tests/deploy starts it as its pod would instead)."""
        return [sys.executable, "-m", f"services.{name.split('-')[0]}"]

    def environment(self, name: str) -> dict[str, str]:
        env = os.environ | self.env | {"GATEWAY_PORT": str(self.gateway_port)}
        return env | {"HEALTH_PORT": str(self.health_ports.get(name, 0))}

    def wait_ready(
        self, timeout: float, names: tuple[str, ...] | list[str] = SERVICES, probe: str = "/readyz"
    ) -> None:
        deadline = time.monotonic() + timeout
        for name in names:
            while not _answers(self.url(name, probe)):
                if self.processes[name].poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"{name} did not become ready; see {self.log_dir / name}.log")
                time.sleep(0.2)

    def stop(self, timeout: float = 20) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in self.logs:
            log.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False
