"""The four services started as their Deployments start them, without a cluster or a container
engine: the rendered command and ConfigMaps, the image's numeric user with no capabilities, a
read-only root holding only what the image holds, and a size-limited writable /tmp. A feed over
1 MiB (spooled to /tmp by the fetcher) is imported through all four against the local stack.

Each service runs in a bubblewrap sandbox entered as root, which then drops to the Deployment's
runAsUser/runAsGroup with setpriv: the kernel sees uid 10001, not a root mapped to it. Addresses
differ from the pod's on purpose: the local stack's Kafka, store and Redis, this test's topic
prefix and database, and loopback ports chosen free (the machine is shared), so nothing listens
beyond loopback.
"""

import asyncio
import contextlib
import re
import shutil
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import yaml

from launcher.feed_server import FeedServer
from launcher.processes import Services, free_port
from tests.conftest import DATA
from tests.deploy.rendered import ROOT, RUNTIME_VENV, Manifest, config_env, container, of_kind, render

FEED = "football_jobs_custom_4mb.xml"
WORKDIR = "/app"  # the image's WORKDIR
VENV = "/opt/venv"  # where the image's build stage installs requirements.lock: only the runtime set
# The image's ENV (Dockerfile), with the venv it puts first on PATH.
IMAGE_ENV = {
    "PATH": f"{VENV}/bin:/usr/local/bin:/usr/bin:/bin",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
    "HOME": "/",
}
# What the Dockerfile copies into WORKDIR; the feeds file is the test's, mounted over the image's.
IMAGE_CONTENT = ("schemas", "infra", "services")
UNITS = {"Ki": 1024, "Mi": 1024**2, "Gi": 1024**3}


def size_bytes(quantity: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(Ki|Mi|Gi)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * UNITS[unit]


def directories(*paths: str) -> list[str]:
    """World-readable directories in the sandbox: bubblewrap makes the ones it needs mode 700 (and
    the host's /root is), which the service's user could not enter.
    """
    return [arg for path in paths for arg in ("--perms", "0755", "--dir", path)]


def readable_path(path: Path) -> list[str]:
    """Bind `path` read-only at the same place, with readable parents."""
    parents = [str(parent) for parent in reversed(path.parents) if str(parent) != "/"]
    return [*directories(*parents), "--ro-bind", str(path), str(path)]


class Pods(Services):
    """The four services, each in a sandbox shaped like its pod (see the module docstring)."""

    def __init__(
        self, env: dict[str, str], log_dir: Path, feeds_file: Path, writable_tmp: bool = True
    ) -> None:
        # The pod's own FEEDS_FILE, where `feeds_file` is bound, not the namespace's.
        super().__init__({name: value for name, value in env.items() if name != "FEEDS_FILE"}, log_dir, free_port())
        self.manifests = render("base")
        self.deployments = of_kind(self.manifests, "Deployment")
        self.feeds_file, self.writable_tmp = feeds_file, writable_tmp

    def deployment(self, name: str) -> Manifest:
        return self.deployments[name.split("-")[0]]

    def environment(self, name: str) -> dict[str, str]:
        pod = IMAGE_ENV | config_env(self.manifests, self.deployment(name))
        return (
            pod
            | self.env
            | {"GATEWAY_PORT": str(self.gateway_port)}
            | {"HEALTH_PORT": str(self.health_ports.get(name, 0))}
        )

    def command(self, name: str) -> list[str]:
        spec = self.deployment(name)["spec"]["template"]["spec"]
        security = container(self.deployment(name))["securityContext"]
        volumes = {volume["name"]: volume for volume in spec["volumes"]}
        [tmp] = [m for m in container(self.deployment(name))["volumeMounts"] if m["mountPath"] == "/tmp"]
        feeds_file = config_env(self.manifests, self.deployments["gateway"])["FEEDS_FILE"]
        sandbox = [
            *("--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"),
            *("--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib"),
            *("--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin"),
            # The interpreter the runtime venv was made from: the image's /usr/local.
            *readable_path((RUNTIME_VENV / "bin" / "python").resolve().parent.parent),
            *directories(str(Path(VENV).parent), WORKDIR),
            *("--ro-bind", str(RUNTIME_VENV), VENV),
            *[arg for part in IMAGE_CONTENT for arg in ("--ro-bind", str(ROOT / part), f"{WORKDIR}/{part}")],
            *directories(str(Path(feeds_file).parent)),
            *("--ro-bind", str(self.feeds_file), feeds_file),
            *("--dev", "/dev", "--proc", "/proc"),
            "--perms",
            "1777",
            *(
                ("--size", str(size_bytes(volumes[tmp["name"]]["emptyDir"]["sizeLimit"])), "--tmpfs", "/tmp")
                if self.writable_tmp
                else ("--dir", "/tmp")
            ),
            *("--remount-ro", "/", "--chdir", WORKDIR, "--die-with-parent"),
        ]
        user = ["--reuid", str(security["runAsUser"]), "--regid", str(security["runAsGroup"])]
        dropped = ["--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs"]
        return [BWRAP, *sandbox, "--", SETPRIV, *user, *dropped, *container(self.deployment(name))["command"]]

    def service_process(self, name: str) -> int:
        """The pid of the Python process bubblewrap started for `name`."""
        sandbox = self.processes[name].pid
        for status in Path("/proc").glob("[0-9]*/status"):
            fields = dict(line.split(":\t", 1) for line in status.read_text().splitlines() if ":\t" in line)
            if int(fields.get("PPid", 0)) == sandbox:
                return int(status.parent.name)
        raise AssertionError(f"{name}: no process inside its sandbox")


BWRAP = shutil.which("bwrap") or "bwrap"
SETPRIV = shutil.which("setpriv") or "setpriv"


def status_of(pid: int) -> dict[str, str]:
    lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    return dict(line.split(":\t", 1) for line in lines if ":\t" in line)


def mounts_of(pid: int) -> dict[str, str]:
    """Mount point -> options, as the process sees them."""
    lines = Path(f"/proc/{pid}/mounts").read_text().splitlines()
    return {fields[1]: fields[3] for fields in (line.split() for line in lines)}


async def final_log(client: httpx.AsyncClient, trigger_id: str, timeout: float = 180) -> dict[str, Any]:
    async with asyncio.timeout(timeout):
        while True:
            page = (await client.get("/api/imports", params={"feed": "football"})).json()
            logs = [log for log in page["items"] if log["trigger_id"] == trigger_id]
            if logs and logs[0]["status"] != "running":
                return dict(logs[0])
            await asyncio.sleep(0.2)


@contextlib.contextmanager
def pods(namespace: dict[str, str], tmp_path: Path, writable_tmp: bool = True) -> Iterator[Pods]:
    """The four pods importing the one feed, served on loopback."""
    assert shutil.which("bwrap") and shutil.which("setpriv"), "deploy/local/install.sh installs bubblewrap"
    assert (RUNTIME_VENV / ".stamp").exists(), f"no {RUNTIME_VENV}: deploy/local/install.sh makes it"
    with FeedServer(DATA, conditional=False) as feed_server:
        feeds_file = tmp_path / "feeds.yaml"
        feeds_file.write_text(yaml.safe_dump({"feeds": [{"id": "football", "url": feed_server.url(FEED)}]}))
        local = {
            "HEALTH_HOST": "127.0.0.1",
            "GATEWAY_HOST": "127.0.0.1",
            "FETCH_ALLOW_PRIVATE_NETWORKS": "true",  # the feed is served on loopback
            "SCHEDULER_ENABLED": "false",
        }
        with Pods(namespace | local, tmp_path / "logs", feeds_file, writable_tmp).running() as running:
            yield running


async def import_feed(running: Pods) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=running.gateway_url, headers=running.headers) as client:
        response = await client.post("/api/imports", json={"feeds": ["football"]})
        assert response.status_code == 202, response.text
        return await final_log(client, response.json()["trigger_id"])


async def test_the_four_services_run_as_their_pods_and_import_a_feed_over_1_mib(
    namespace: dict[str, str], tmp_path: Path
) -> None:
    size = (DATA / FEED).stat().st_size
    jobs = len(ElementTree.parse(DATA / FEED).getroot().findall("job"))
    assert size > 1024 * 1024 and jobs == 355
    assert not list(RUNTIME_VENV.glob("lib/python*/site-packages/pytest")), "no dev tool in the runtime set"

    with pods(namespace, tmp_path) as running:
        for name in running.processes:
            process = status_of(running.service_process(name))
            assert process["Uid"].split() == ["10001"] * 4, name
            assert process["Gid"].split() == ["10001"] * 4, name
            assert int(process["CapEff"], 16) == 0 and int(process["CapBnd"], 16) == 0, name
            mounts = mounts_of(running.service_process(name))
            assert mounts["/"].startswith("ro,") and mounts[WORKDIR + "/services"].startswith("ro,")
            assert mounts["/tmp"].startswith("rw,"), name
        async with httpx.AsyncClient() as client:
            ports = running.health_ports | {"gateway": running.gateway_port}
            for name, port in ports.items():
                for path in ("/healthz", "/readyz"):
                    answer = await client.get(f"http://127.0.0.1:{port}{path}")
                    assert answer.status_code == 200, (name, path)
        log = await import_feed(running)

    assert log["status"] == "completed", log
    assert (log["http_status"], log["bytes"]) == (200, size)
    assert (log["total_fetched"], log["new"], log["duplicates"]) == (jobs, jobs, 0)
    assert log["updated"] == log["unchanged"] == log["failed"] == 0, log["failures"]


async def test_without_a_writable_tmp_the_same_import_fails(
    namespace: dict[str, str], tmp_path: Path
) -> None:
    """The control: the emptyDir at /tmp is what lets a feed over 1 MiB be spooled."""
    with pods(namespace, tmp_path, writable_tmp=False) as running:
        log = await import_feed(running)

    assert log["status"] == "failed", log
    assert log["total_fetched"] == 0 and "FileNotFoundError" in log["error"], log
