"""Kafka topic names. A deployment may prefix them (tests use a prefix per test)."""

IMPORTS_REQUESTED = "imports.requested"
IMPORTS_RUNS = "imports.runs"
JOBS_FETCHED = "jobs.fetched"
JOBS_STATUS = "jobs.status"
IMPORTS_LOGS = "imports.logs"

ALL = (IMPORTS_REQUESTED, IMPORTS_RUNS, JOBS_FETCHED, JOBS_STATUS, IMPORTS_LOGS)


def dead_letter(topic: str) -> str:
    return f"{topic}.dlq"
