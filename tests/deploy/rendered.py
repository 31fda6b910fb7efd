"""deploy/k8s as `kubectl apply -k` would send it: rendered by the real kustomize, read back as YAML."""

import hashlib
import os
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic_settings import BaseSettings

from services.fetcher.config import Settings as FetcherSettings
from services.gateway.config import Settings as GatewaySettings
from services.logger.config import Settings as LoggerSettings
from services.processor.config import Settings as ProcessorSettings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
CACHE = Path(os.environ.get("JOB_IMPORTER_CACHE", Path.home() / ".cache" / "job-importer"))
KUSTOMIZE = CACHE / "bin" / "kustomize"
# requirements.lock installed as the image installs it, by deploy/local/install.sh.
RUNTIME_VENV = (
    CACHE / f"runtime-venv-{hashlib.sha256((ROOT / 'requirements.lock').read_bytes()).hexdigest()[:16]}"
)
SERVICES = ("fetcher", "processor", "logger", "gateway")
SETTINGS: dict[str, type[BaseSettings]] = {
    "fetcher": FetcherSettings,
    "processor": ProcessorSettings,
    "logger": LoggerSettings,
    "gateway": GatewaySettings,
}
TARGETS = ("base", "overlays/production", "overlays/production-keda", "overlays/in-cluster")

Manifest = dict[str, Any]


@cache
def render(target: str) -> tuple[Manifest, ...]:
    assert KUSTOMIZE.exists(), f"no {KUSTOMIZE}: deploy/local/install.sh builds it"
    built = subprocess.run(
        [str(KUSTOMIZE), "build", str(K8S / target)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr
    return tuple(document for document in yaml.safe_load_all(built.stdout) if document)


def of_kind(manifests: tuple[Manifest, ...], kind: str) -> dict[str, Manifest]:
    return {m["metadata"]["name"]: m for m in manifests if m["kind"] == kind}


def container(deployment: Manifest) -> Manifest:
    [only] = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


def config_env(manifests: tuple[Manifest, ...], deployment: Manifest) -> dict[str, str]:
    """The environment the Deployment's ConfigMaps give its container, in envFrom order."""
    config_maps = of_kind(manifests, "ConfigMap")
    env: dict[str, str] = {}
    for source in container(deployment).get("envFrom", []):
        if "configMapRef" in source:
            env |= config_maps[source["configMapRef"]["name"]]["data"]
    return env


def image_user() -> tuple[int, int]:
    """The final stage's `USER uid:gid` of the Dockerfile, which must be numeric."""
    users = re.findall(r"^USER\s+(\S+)\s*$", (ROOT / "Dockerfile").read_text(), re.MULTILINE)
    assert users, "the Dockerfile sets no USER"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit() and gid.isdigit(), f"USER {users[-1]} is not numeric uid:gid"
    return int(uid), int(gid)


def environment_names(settings: type[BaseSettings]) -> set[str]:
    return {name.upper() for name in settings.model_fields}


def secret_keys() -> dict[str, str]:
    """The keys of job-importer-secrets as documented by deploy/k8s/secrets.example.env."""
    lines = (K8S / "secrets.example.env").read_text().splitlines()
    pairs = [line.split("=", 1) for line in lines if line.strip() and not line.startswith("#")]
    return {name: value for name, value in pairs}
