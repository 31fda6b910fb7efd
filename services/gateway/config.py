from pathlib import Path

from infra.settings import CommonSettings


class Settings(CommonSettings):
    # Loopback unless told otherwise: containers set GATEWAY_HOST=0.0.0.0.
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # The registry's entries kept in a file, synchronised at start (services/gateway/feeds.py).
    feeds_file: Path = Path("deploy/feeds.yaml")
    gateway_page_size: int = 50
    gateway_max_page_size: int = 500
    # Comma-separated bearer tokens, so one can be rotated while another is in use. None set:
    # nobody can write, and protected reads are closed too.
    gateway_api_tokens: str = ""
    gateway_public_reads: bool = False
    # Origins (scheme://host:port) allowed to open /ws and to write with the session cookie,
    # besides the gateway's own.
    gateway_allowed_origins: str = ""
    gateway_session_hours: float = 12
    gateway_max_body_bytes: int = 64 * 1024
    gateway_max_ws_message_bytes: int = 16 * 1024
    gateway_ws_ping_seconds: float = 20
    # Each client's import requests: a burst, then one per 60/rate seconds.
    gateway_import_burst: int = 10
    gateway_import_requests_per_minute: float = 30
    gateway_ws_queue_size: int = 1000
    gateway_progress_interval_seconds: float = 0.25
    # Replay's group on the dead-letter topics: its offsets say which letters were redriven.
    replay_group_id: str = "replay"

    @property
    def api_tokens(self) -> list[str]:
        return [token.strip() for token in self.gateway_api_tokens.split(",") if token.strip()]

    @property
    def allowed_origins(self) -> set[str]:
        return {
            origin.strip().rstrip("/") for origin in self.gateway_allowed_origins.split(",") if origin.strip()
        }
