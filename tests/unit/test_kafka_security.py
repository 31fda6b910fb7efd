"""Kafka security settings reach every client: the services' brokers and the tools' aiokafka clients."""

import ast
import ssl
from pathlib import Path

import certifi
import pytest
from pydantic import ValidationError

from infra.kafka import client_options, make_broker
from infra.settings import CommonSettings

BROKERS = "kafka-0.example:9093,kafka-1.example:9093"
ROOT = Path(__file__).resolve().parents[2]
PARTS = ("services", "infra", "replay", "bench", "launcher", "tests")


def settings(**fields: str) -> CommonSettings:
    return CommonSettings(kafka_bootstrap_servers=BROKERS, **fields)  # type: ignore[arg-type]


def test_plaintext_clients_get_only_the_brokers_as_before() -> None:
    assert client_options(settings()) == {"bootstrap_servers": BROKERS}
    broker = make_broker(settings(), "test")
    # What FastStream passes to its aiokafka producer and consumers.
    assert "sasl_mechanism" not in broker._connection_kwargs
    assert broker._connection_kwargs.get("security_protocol", "PLAINTEXT") == "PLAINTEXT"


@pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
def test_sasl_over_tls_sends_the_mechanism_and_credentials_and_trusts_the_given_ca(mechanism: str) -> None:
    chosen = settings(
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism=mechanism,
        kafka_sasl_username="importer",
        kafka_sasl_password="s3cret",
        kafka_ssl_ca_file=certifi.where(),
    )

    options = client_options(chosen)

    assert {key: value for key, value in options.items() if key != "ssl_context"} == {
        "bootstrap_servers": BROKERS,
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": mechanism,
        "sasl_plain_username": "importer",
        "sasl_plain_password": "s3cret",
    }
    context = options["ssl_context"]
    assert context.verify_mode is ssl.CERT_REQUIRED and context.check_hostname
    assert context.get_ca_certs(), "the CA file's certificates are loaded"
    broker_options = make_broker(chosen, "test")._connection_kwargs  # what FastStream's clients get
    for key in ("security_protocol", "sasl_mechanism", "sasl_plain_username", "sasl_plain_password"):
        assert broker_options[key] == options[key]
    assert broker_options["ssl_context"].get_ca_certs() == context.get_ca_certs()


def test_sasl_without_tls_has_no_ssl_context() -> None:
    options = client_options(
        settings(kafka_security_protocol="SASL_PLAINTEXT", kafka_sasl_username="u", kafka_sasl_password="p")
    )
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert options["sasl_mechanism"] == "PLAIN"
    assert options["ssl_context"] is None


def test_tls_alone_verifies_the_brokers_with_the_system_trust_store_by_default() -> None:
    options = client_options(settings(kafka_security_protocol="SSL"))
    assert options["security_protocol"] == "SSL"
    assert "sasl_mechanism" not in options
    assert options["ssl_context"].verify_mode is ssl.CERT_REQUIRED


def test_the_settings_are_read_from_the_environment_names_the_deployment_uses(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    environment = {
        "KAFKA_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "KAFKA_SASL_MECHANISM": "SCRAM-SHA-512",
        "KAFKA_SASL_USERNAME": "importer",
        "KAFKA_SASL_PASSWORD": "from-a-secret",
        "KAFKA_REPLICATION_FACTOR": "3",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    read = CommonSettings()
    assert read.kafka_replication_factor == 3
    assert client_options(read)["sasl_plain_password"] == "from-a-secret"
    assert "from-a-secret" not in repr(read), "the password stays out of logs"


def test_an_unknown_protocol_or_mechanism_is_refused_at_start_up() -> None:
    with pytest.raises(ValidationError):
        settings(kafka_security_protocol="TLS")
    with pytest.raises(ValidationError):
        settings(kafka_sasl_mechanism="GSSAPI")


CLIENTS = {"AIOKafkaProducer", "AIOKafkaConsumer", "AIOKafkaAdminClient", "KafkaBroker"}


def kafka_clients_built_without_the_security(path: Path) -> list[str]:
    """Calls that build a Kafka client from the brokers alone: they could not reach a SASL/TLS cluster."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        keywords = {keyword.arg for keyword in node.keywords}
        spread = None in keywords  # **client_options(...) or its result passed on
        if name in CLIENTS and not (spread or "security" in keywords):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno} {name}")
    return found


def test_every_kafka_client_in_the_project_gets_the_clusters_security() -> None:
    sources = [path for part in PARTS for path in (ROOT / part).rglob("*.py")]
    assert len(sources) > 50
    assert [found for path in sources for found in kafka_clients_built_without_the_security(path)] == []
