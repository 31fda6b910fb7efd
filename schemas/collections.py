"""The store's collections. Each has exactly one writing service, which names it in its `__init__`."""

JOBS = "jobs"  # processor
IMPORT_LOGS = "import_logs"  # logger (`replay logs` rewrites them when an operator asks)
JOB_STATUSES = "job_statuses"  # logger
OPEN_RUNS = "open_runs"  # logger
FEEDS = "feeds"  # gateway: the registry, from its API and from FEEDS_FILE
FEED_HEALTH = "feed_health"  # fetcher: what fetching each registered feed taught it
