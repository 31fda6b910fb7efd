import os
import socket

from infra.settings import CommonSettings
from services.fetcher.parse.stream import MAX_ITEMS


class Settings(CommonSettings):
    fetcher_group_id: str = "fetcher"
    fetch_allow_private_networks: bool = False
    fetch_timeout_seconds: float = 30.0
    fetch_connect_timeout_seconds: float = 10.0
    fetch_max_bytes: int = 20 * 1024 * 1024  # per feed unless the feed sets max_bytes
    fetch_max_items: int = MAX_ITEMS
    fetch_batch_size: int = 500
    fetch_longest_host_wait_seconds: float = 60.0
    fetch_concurrency: int = 4
    fetch_host_burst: int = 5
    fetch_host_requests_per_minute: float = 30.0
    fetch_user_agent: str = "JobImporter/0.1 (+https://github.com/job-importer)"
    # A feed's lease outlives its holder by at most this long; a heartbeat renews it meanwhile.
    fetch_lease_seconds: float = 30.0
    # Who holds a lease, as "already being imported by ..." names it: host and process.
    fetcher_instance: str = f"{socket.gethostname()}:{os.getpid()}"
    # How often any replica looks for runs whose fetcher stopped (their lease ran out) to finish.
    fetch_recovery_interval_seconds: float = 10.0
    scheduler_enabled: bool = True
    scheduler_tick_seconds: float = 30.0
