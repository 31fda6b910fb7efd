from typing import Literal

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """Names shared by every service; each service's `config.py` extends this class."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_topic_prefix: str = ""
    kafka_partitions: int = 3
    # Copies of each topic the services create: 1 for the local single broker, 3 on a real cluster.
    kafka_replication_factor: int = 1
    # A managed or operator-run cluster wants TLS and/or SASL; the local broker speaks PLAINTEXT.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = "PLAINTEXT"
    kafka_sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] = "PLAIN"
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    # PEM bundle of the CA that signed the brokers' certificates; empty: the system's trust store.
    kafka_ssl_ca_file: str = ""
    # The largest event sent, JSON-encoded: under the brokers' default message.max.bytes (1,048,588),
    # with room for the key and headers. A job over it fails alone instead of failing its run.
    kafka_max_message_bytes: int = 1_000_000
    # How far back a replay can reach: set on each topic when it is created (existing topics keep
    # theirs). Dead letters wait for an operator, so they are kept longer.
    kafka_retention_hours: int = 168
    kafka_dead_letter_retention_hours: int = 720
    mongodb_url: str = "mongodb://localhost:27017/?directConnection=true"
    mongodb_database: str = "job_importer"
    # Statements per bulk write. On the local store 20 to 1,000 measure alike (bench.store); 1,000
    # sends a processor or logger batch as one command.
    mongodb_bulk_size: int = 1000
    redis_url: str = "redis://localhost:6379/0"
    health_port: int = 0
    # Loopback unless told otherwise: containers set HEALTH_HOST=0.0.0.0.
    health_host: str = "127.0.0.1"
    log_level: str = "INFO"

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    def group(self, name: str) -> str:
        """Consumer groups share the topics' prefix, so prefixed deployments never meet."""
        return f"{self.kafka_topic_prefix}{name}"
