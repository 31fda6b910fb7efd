"""The compose file and the image describe what DESIGN.md says; checked without a container engine."""

import re
import shutil
import subprocess
import tomllib
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("fetcher", "processor", "logger", "gateway")


def load_all(path: Path) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_compose_runs_real_images_and_the_services_wait_for_healthy_dependencies() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    assert compose["kafka"]["image"].startswith("apache/kafka:")
    assert compose["mongo"]["image"] == "mongo:7"
    assert compose["redis"]["image"] == "redis:7"
    for name in SERVICES:
        assert compose[name]["command"] == ["python", "-m", f"services.{name}"]
        assert compose[name]["build"] == "."
        assert compose[name]["healthcheck"]["test"]
        assert {dep["condition"] for dep in compose[name]["depends_on"].values()} == {"service_healthy"}
    for name in ("kafka", "mongo", "redis"):
        assert compose[name]["healthcheck"]["test"]


def compose_client() -> list[str]:
    if (
        shutil.which("docker")
        and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0
    ):
        return ["docker", "compose"]
    client = shutil.which("docker-compose")
    assert client, "no compose client: deploy/local/install.sh installs docker-compose"
    return [client]


def test_the_compose_client_accepts_the_file() -> None:
    result = subprocess.run(
        [*compose_client(), "config", "--quiet"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


def pins(lock: str) -> dict[str, str]:
    lines = (ROOT / lock).read_text().splitlines()
    return dict(line.split("==", 1) for line in lines if "==" in line and not line.startswith(" "))


def test_the_image_installs_only_the_runtime_lock_which_holds_no_dev_tool() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    stages = dockerfile.split("\nFROM ")
    assert len(stages) >= 2, "a build stage and a final stage"
    assert "requirements.lock" in stages[0] and "requirements-dev.lock" not in dockerfile
    assert "pip install" not in stages[-1], "the final stage copies the installed packages"
    assert "PYTHONDONTWRITEBYTECODE=1" in stages[-1]
    runtime, development = pins("requirements.lock"), pins("requirements-dev.lock")
    dev_extra = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][
        "dev"
    ]
    dev_tools = {re.split(r"[=<>\[ ]", requirement)[0].lower() for requirement in dev_extra}
    assert not dev_tools & set(runtime)
    assert "prometheus-client" in runtime
    assert {name: development[name] for name in runtime} == runtime, "development runs the image's versions"
    assert dev_tools <= set(development)


# The Kubernetes manifests are rendered with kustomize and checked in tests/deploy/test_manifests.py.
