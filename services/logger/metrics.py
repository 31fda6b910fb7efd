"""The logger's own metrics (shared ones are in infra.metrics)."""

from prometheus_client import Counter

from schemas.events import RunStatus

RUNS = Counter(
    "job_importer_runs", "Runs that reached a final state, by that state; each run once.", ["status"]
)
for _status in RunStatus:
    if _status is not RunStatus.RUNNING:
        RUNS.labels(_status.value)  # every final state is a series from the start, at 0
