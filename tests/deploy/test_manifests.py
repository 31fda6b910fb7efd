"""Every overlay, rendered by the real kustomize, is valid Kubernetes and keeps the promises the
pods depend on: the image's user, a writable /tmp, probes where the services serve them, config
the services read, a disruption budget and a network policy each.
"""

import copy
import json
import re
from typing import Any

import kubernetes_validate
import pytest
from kubernetes_validate.utils import SchemaNotFoundError, latest_version

from infra.settings import CommonSettings
from schemas import topics
from tests.deploy.rendered import (
    K8S,
    SERVICES,
    SETTINGS,
    TARGETS,
    Manifest,
    config_env,
    container,
    environment_names,
    image_user,
    of_kind,
    render,
    secret_keys,
)

# Operators' kinds: kubernetes-validate ships only the built-in schemas, and no registry package
# this project may use ships these CRDs' schemas. They are checked by the tests below instead.
OPERATOR_KINDS = {
    "ServiceMonitor": "Prometheus operator CRD",
    "ScaledObject": "KEDA CRD",
    "TriggerAuthentication": "KEDA CRD",
    "Kafka": "Strimzi CRD",
    "KafkaNodePool": "Strimzi CRD",
    "KafkaTopic": "Strimzi CRD",
    "KafkaUser": "Strimzi CRD",
    "MongoDBCommunity": "MongoDB Community operator CRD",
}


def deployments(target: str) -> dict[str, Manifest]:
    return of_kind(render(target), "Deployment")


@pytest.mark.parametrize("target", TARGETS)
def test_each_overlay_validates_strictly_against_the_kubernetes_schemas(target: str) -> None:
    version = latest_version()
    not_validated: set[str] = set()
    for manifest in render(target):
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except SchemaNotFoundError:
            assert manifest["kind"] in OPERATOR_KINDS, f"no schema for {manifest['kind']}"
            not_validated.add(manifest["kind"])
    for kind in sorted(not_validated):
        print(f"{target}: {kind} not schema-validated ({OPERATOR_KINDS[kind]}, no schema shipped)")
    assert set(deployments(target)) == set(SERVICES)


def test_strict_validation_refuses_a_misspelt_field() -> None:
    """The control for the test above: strict mode does reject what a cluster would reject."""
    deployment = copy.deepcopy(deployments("base")["fetcher"])
    deployment["spec"]["template"]["spec"]["containers"][0]["readOnlyRootFileSystem"] = True
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, latest_version(), strict=True)


@pytest.mark.parametrize("target", TARGETS)
def test_each_deployment_starts_its_own_service_from_the_one_image(target: str) -> None:
    images = set()
    for name, deployment in deployments(target).items():
        assert container(deployment)["command"] == ["python", "-m", f"services.{name}"]
        images.add(container(deployment)["image"])
    assert len(images) == 1


@pytest.mark.parametrize("target", TARGETS)
def test_every_container_runs_as_the_images_numeric_user_with_a_read_only_root_and_no_privileges(
    target: str,
) -> None:
    uid, gid = image_user()
    for name, deployment in deployments(target).items():
        pod = deployment["spec"]["template"]["spec"]
        security = container(deployment)["securityContext"]
        assert pod["securityContext"]["runAsNonRoot"] is security["runAsNonRoot"] is True, name
        assert (security["runAsUser"], security["runAsGroup"]) == (uid, gid), name
        assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (uid, gid)
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"] == {"drop": ["ALL"]}, name
        assert security["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name


@pytest.mark.parametrize("target", TARGETS)
def test_a_size_limited_empty_dir_backs_tmp(target: str) -> None:
    for name, deployment in deployments(target).items():
        volumes = {v["name"]: v for v in deployment["spec"]["template"]["spec"]["volumes"]}
        [tmp] = [m for m in container(deployment)["volumeMounts"] if m["mountPath"] == "/tmp"]
        assert not tmp.get("readOnly"), name
        assert volumes[tmp["name"]]["emptyDir"]["sizeLimit"], name


@pytest.mark.parametrize("target", TARGETS)
def test_every_config_key_is_a_setting_of_the_service_that_reads_it(target: str) -> None:
    manifests = render(target)
    for name, deployment in deployments(target).items():
        fields = environment_names(SETTINGS[name])
        unknown = set(config_env(manifests, deployment)) - fields
        assert not unknown, f"{name} does not read {unknown}"
        env = container(deployment).get("env", [])
        # A variable only expanded into another one's value, as $(REDIS_PASSWORD) in REDIS_URL.
        expanded = {ref for item in env for ref in re.findall(r"\$\((\w+)\)", item.get("value", ""))}
        assert not {item["name"] for item in env} - fields - expanded, name


def test_the_secrets_documented_keys_are_settings_and_every_required_setting_is_provided() -> None:
    secrets = set(secret_keys())
    assert {"KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "MONGODB_URL", "REDIS_URL"} <= secrets
    assert "GATEWAY_API_TOKENS" in secrets
    assert secrets <= environment_names(SETTINGS["gateway"]) | environment_names(CommonSettings)
    manifests = render("overlays/production")
    for name, deployment in deployments("overlays/production").items():
        settings = SETTINGS[name]
        required = {f.upper() for f, info in settings.model_fields.items() if info.is_required()}
        assert required <= set(config_env(manifests, deployment)) | secrets, name
        assert {"configMapRef", "secretRef"} <= {next(iter(s)) for s in container(deployment)["envFrom"]}
        [secret] = [s["secretRef"]["name"] for s in container(deployment)["envFrom"] if "secretRef" in s]
        assert secret == "job-importer-secrets"


def served_port(manifests: tuple[Manifest, ...], name: str, deployment: Manifest) -> int:
    """Where the service listens for /healthz, /readyz and /metrics, by its own settings."""
    env = config_env(manifests, deployment)
    settings = SETTINGS[name].model_validate({k.lower(): v for k, v in env.items()})
    return int(getattr(settings, "gateway_port" if name == "gateway" else "health_port"))


@pytest.mark.parametrize("target", TARGETS)
def test_probes_and_the_metrics_port_are_where_each_service_serves_them(target: str) -> None:
    manifests = render(target)
    services = of_kind(manifests, "Service")
    for name, deployment in deployments(target).items():
        spec = container(deployment)
        ports = {port["name"]: port["containerPort"] for port in spec["ports"]}
        expected = served_port(manifests, name, deployment)
        for probe, path in (("livenessProbe", "/healthz"), ("readinessProbe", "/readyz")):
            assert spec[probe]["httpGet"]["path"] == path
            assert ports[spec[probe]["httpGet"]["port"]] == expected, (name, probe)
        [metrics] = [p for p in services[name]["spec"]["ports"] if p["name"] == "metrics"]
        assert ports[metrics["targetPort"]] == expected, name


@pytest.mark.parametrize("target", TARGETS)
def test_pods_spread_over_nodes_and_outlive_a_batch_on_shutdown(target: str) -> None:
    for name, deployment in deployments(target).items():
        pod = deployment["spec"]["template"]["spec"]
        [spread] = pod["topologySpreadConstraints"]
        assert spread["topologyKey"] == "kubernetes.io/hostname"
        assert spread["labelSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        assert pod["terminationGracePeriodSeconds"] > 30 or name == "gateway"
        resources = container(deployment)["resources"]
        assert resources["requests"]["memory"] and resources["limits"]["memory"], name


def test_production_runs_two_replicas_of_each_with_a_disruption_budget_and_autoscaling() -> None:
    manifests = render("overlays/production")
    budgets = of_kind(manifests, "PodDisruptionBudget")
    autoscalers = of_kind(manifests, "HorizontalPodAutoscaler")
    for name, deployment in deployments("overlays/production").items():
        assert deployment["spec"]["replicas"] >= 2, name
        assert budgets[name]["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        assert budgets[name]["spec"]["minAvailable"] < deployment["spec"]["replicas"]
    assert set(autoscalers) == {"fetcher", "gateway", "processor"}
    for name, autoscaler in autoscalers.items():
        assert autoscaler["spec"]["scaleTargetRef"]["name"] == name
        assert autoscaler["spec"]["minReplicas"] >= 2
        assert autoscaler["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    config = of_kind(manifests, "ConfigMap")
    [shared] = [
        c
        for name, c in config.items()
        if name.startswith("job-importer-") and "KAFKA_PARTITIONS" in c["data"]
    ]
    assert shared["data"]["KAFKA_REPLICATION_FACTOR"] == "3"
    assert int(autoscalers["processor"]["spec"]["maxReplicas"]) <= int(shared["data"]["KAFKA_PARTITIONS"])


def test_with_keda_the_processor_scales_on_its_consumer_lag_instead_of_cpu() -> None:
    manifests = render("overlays/production-keda")
    assert "processor" not in of_kind(manifests, "HorizontalPodAutoscaler")
    scaled = of_kind(manifests, "ScaledObject")["processor"]
    [trigger] = scaled["spec"]["triggers"]
    assert scaled["spec"]["scaleTargetRef"]["name"] == "processor"
    assert trigger["type"] == "kafka"
    assert trigger["metadata"]["topic"] == topics.JOBS_FETCHED
    assert trigger["metadata"]["consumerGroup"] == "processor"  # services.processor.config's default
    authentication = of_kind(manifests, "TriggerAuthentication")[trigger["authenticationRef"]["name"]]
    assert {ref["key"] for ref in authentication["spec"]["secretTargetRef"]} <= set(secret_keys())


def egress_ports(policy: Manifest) -> set[int]:
    return {port["port"] for rule in policy["spec"]["egress"] for port in rule.get("ports", [])}


@pytest.mark.parametrize("target", TARGETS)
def test_each_service_has_a_network_policy_allowing_only_what_it_talks_to(target: str) -> None:
    manifests = render(target)
    policies = of_kind(manifests, "NetworkPolicy")
    uses_redis = {"fetcher", "processor", "gateway"}
    for name, deployment in deployments(target).items():
        policy = policies[name]
        assert policy["spec"]["podSelector"]["matchLabels"] == {"app.kubernetes.io/name": name}
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        expected = {53, 9092, 27017} | ({6379} if name in uses_redis else set())
        expected |= {80, 443} if name == "fetcher" else set()
        assert egress_ports(policy) == expected, name
        [ingress] = policy["spec"]["ingress"]
        assert [port["port"] for port in ingress["ports"]] == [served_port(manifests, name, deployment)]
        if name != "gateway":
            [source] = ingress["from"]
            assert source["namespaceSelector"]["matchLabels"] == {"kubernetes.io/metadata.name": "monitoring"}


def test_in_cluster_declares_every_topic_and_its_dead_letter_topic_with_three_replicas() -> None:
    manifests = render("overlays/in-cluster")
    declared = {t["spec"]["topicName"]: t for t in of_kind(manifests, "KafkaTopic").values()}
    assert set(declared) == set(topics.ALL) | {topics.dead_letter(name) for name in topics.ALL}
    assert {t["spec"]["replicas"] for t in declared.values()} == {3}
    assert {t["metadata"]["labels"]["strimzi.io/cluster"] for t in declared.values()} == {"job-importer"}
    assert set(of_kind(manifests, "Kafka")) == {"job-importer"}
    [mongodb] = of_kind(manifests, "MongoDBCommunity").values()
    assert mongodb["spec"]["members"] == 3 and mongodb["spec"]["type"] == "ReplicaSet"
    assert "redis" in of_kind(manifests, "StatefulSet")
    for name, deployment in deployments("overlays/in-cluster").items():
        env = {item["name"]: item for item in container(deployment)["env"]}
        assert (
            env["MONGODB_URL"]["valueFrom"]["secretKeyRef"]["name"]
            == mongodb["spec"]["users"][0]["connectionStringSecretName"]
        ), name
        assert (
            config_env(manifests, deployment)["KAFKA_BOOTSTRAP_SERVERS"]
            == "job-importer-kafka-bootstrap:9093"
        )


# The series the services export (issue 12); the dashboard must chart each and invent none.
METRICS = {
    "job_importer_kafka_consumer_lag",
    "job_importer_batch_size",
    "job_importer_batch_duration_seconds",
    "job_importer_jobs_total",
    "job_importer_store_write_seconds",
    "job_importer_store_write_retries_total",
    "job_importer_fetches_total",
    "job_importer_fetch_duration_seconds",
    "job_importer_fetch_bytes_total",
    "job_importer_parses_total",
    "job_importer_parse_warnings_total",
    "job_importer_host_pauses_total",
    "job_importer_runs_total",
    "job_importer_websocket_clients",
    "job_importer_websocket_frames_total",
    "job_importer_websocket_dropped_clients_total",
    "job_importer_dead_letters_total",
}


def test_production_scrapes_all_four_services_and_charts_every_agreed_metric() -> None:
    manifests = render("overlays/production")
    [monitor] = of_kind(manifests, "ServiceMonitor").values()
    [endpoint] = monitor["spec"]["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == ("metrics", "/metrics")
    selected = [
        name
        for name, service in of_kind(manifests, "Service").items()
        if monitor["spec"]["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    ]
    assert sorted(selected) == sorted(SERVICES)
    dashboard: dict[str, Any] = json.loads(
        of_kind(manifests, "ConfigMap")["job-importer-dashboard"]["data"]["job-importer.json"]
    )
    expressions = " ".join(t["expr"] for panel in dashboard["panels"] for t in panel["targets"])
    used = {
        re.sub(r"_(bucket|sum|count)$", "", name) for name in re.findall(r"job_importer_\w+", expressions)
    }
    assert used == METRICS
    assert (K8S / "components" / "monitoring" / "dashboard.json").exists()
