"""The compose file and the Kubernetes base describe what DESIGN.md says; checked without a cluster."""

import shutil
import subprocess
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


def test_the_kubernetes_base_has_one_probed_deployment_per_service_configured_from_config_and_secret() -> (
    None
):
    base = ROOT / "deploy" / "k8s" / "base"
    kustomization = yaml.safe_load((base / "kustomization.yaml").read_text())
    documents = [doc for resource in kustomization["resources"] for doc in load_all(base / resource)]
    deployments = {doc["metadata"]["name"]: doc for doc in documents if doc["kind"] == "Deployment"}
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] == ["python", "-m", f"services.{name}"]
        assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
        assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
        assert container["resources"]["limits"]["memory"]
        sources = {next(iter(source)) for source in container["envFrom"]}
        assert sources == {"configMapRef", "secretRef"}
