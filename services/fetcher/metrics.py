"""The fetcher's own metrics (shared ones are in infra.metrics).

Feed ids and hosts are labels because the registry bounds them; a feed requested by URL alone
(not in the registry) is labelled `adhoc`, so arbitrary URLs cannot grow the series.
"""

from prometheus_client import Counter, Histogram

from schemas.events import ParseMode

ADHOC = "adhoc"
NO_RESPONSE = "none"  # status_code of a fetch that got no HTTP answer (timeout, refused, DNS)

FETCHES = Counter(
    "job_importer_fetches",
    "Feed requests, by feed, host and HTTP status.",
    ["feed_id", "host", "status_code"],
)
FETCH_DURATION = Histogram(
    "job_importer_fetch_duration_seconds",
    "Time of one feed request, redirects and body download included.",
    ["host"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60),
)
FETCH_BYTES = Counter("job_importer_fetch_bytes", "Feed body bytes downloaded, decoded.", ["feed_id", "host"])
PARSES = Counter(
    "job_importer_parses",
    "Feed bodies read, by parse mode; `failed` when nothing was readable.",
    ["parse_mode"],
)
PARSE_WARNINGS = Counter("job_importer_parse_warnings", "Warnings the runs reported about their feeds.")
HOST_PAUSES = Counter(
    "job_importer_host_pauses", "Hosts paused after a 429 or 503 asked us to wait.", ["host"]
)

for _mode in [*ParseMode, "failed"]:
    PARSES.labels(getattr(_mode, "value", _mode))  # every mode is a series from the start, at 0


def observe_fetch(feed_id: str, host: str, status_code: int | None, seconds: float, size: int) -> None:
    FETCHES.labels(feed_id, host, str(status_code) if status_code else NO_RESPONSE).inc()
    FETCH_DURATION.labels(host).observe(seconds)
    if size:
        FETCH_BYTES.labels(feed_id, host).inc(size)
