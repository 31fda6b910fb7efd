from pydantic_settings import BaseSettings, SettingsConfigDict


class CommonSettings(BaseSettings):
    """Names shared by every service; each service's `config.py` extends this class."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    kafka_bootstrap_servers: str = "localhost:9092"
    kafka_topic_prefix: str = ""
    kafka_partitions: int = 3
    mongodb_url: str = "mongodb://localhost:27017/?directConnection=true"
    mongodb_database: str = "job_importer"
    # FerretDB 1.24 holds one SQLite connection per statement of a bulk write until the whole
    # command ends, from a pool of 100 per database: bigger bulks from several writers deadlock it.
    mongodb_bulk_size: int = 20
    redis_url: str = "redis://localhost:6379/0"
    health_port: int = 0
    log_level: str = "INFO"

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    def group(self, name: str) -> str:
        """Consumer groups share the topics' prefix, so prefixed deployments never meet."""
        return f"{self.kafka_topic_prefix}{name}"
