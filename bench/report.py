"""What one case measured, as one table row, checked against the counts the case must produce."""

from dataclasses import dataclass
from typing import Any

from bench.feeds import changed_jobs
from bench.floor import FloorResult

TARGETS = {"new": 2000, "unchanged": 2000, "updated": 1000}
COUNTED = ("status", "total_fetched", "new", "updated", "unchanged", "failed")
HISTORY_SLACK = 0.75  # with the history preloaded, within 25% of the targets
HEADER = (
    f"{'case':<26}{'jobs':>8}{'e2e s':>8}{'jobs/s':>8}{'target':>13} |"
    f"{'1st job':>8}{'fetcher':>8}{'parse+n':>8}{'publish':>8} |{'processor':>17} |{'logger':>17} |"
    f"{'floor s':>8}{'floor/s':>8}{'ratio':>6} | check"
)
LEGEND = """\
e2e: trigger (POST /api/imports) to the final ImportLog (its imports.logs record timestamp).
1st job: seconds from the trigger to the first jobs.fetched record (request, fetch, first batch);
fetcher: trigger to its last jobs.fetched record (fetch+parse+normalize+publish, overlapped);
parse+n: the fetcher's own stream parse + normalize over the same bytes, in the bench process, alone;
publish: jobs / (fetcher time - parse+n time), what is left for fetching, building and publishing;
processor: first jobs.fetched to last jobs.status (+ how long after the fetcher's last job it ended);
logger: first jobs.status to the final ImportLog (+ how long after the last status it ended);
floor: the single-script importer on the same feed and store; ratio = pipeline e2e / floor time."""


@dataclass(frozen=True)
class Stages:
    started: float
    last_fetched: float
    first_fetched: float
    first_status: float
    last_status: float
    final_log: float


def expected_counts(case: str, jobs: int) -> dict[str, int]:
    updated = changed_jobs(jobs) if case == "updated" else 0
    new = jobs if case == "new" else 0
    return {"new": new, "updated": updated, "unchanged": jobs - new - updated}


def check(case: str, jobs: int, log: dict[str, Any], floor: FloorResult | None) -> str:
    expected = expected_counts(case, jobs)
    want = expected | {"status": "completed", "total_fetched": jobs, "failed": 0}
    got = {name: log.get(name) for name in want}
    problems = [] if got == want else [f"MISMATCH pipeline {got} expected {want}"]
    if floor is not None:
        floor_counts = {"new": floor.new, "updated": floor.updated, "unchanged": floor.unchanged}
        if floor_counts != expected:
            problems.append(f"MISMATCH floor {floor_counts} expected {expected}")
    return "; ".join(problems) or "ok"


def row(
    name: str, case: str, jobs: int, stages: Stages, parse_seconds: float, floor: FloorResult | None
) -> str:
    end_to_end = stages.final_log - stages.started
    target = TARGETS[case] * (HISTORY_SLACK if "history" in name else 1)
    verdict = f">={target:.0f} {'ok' if jobs / end_to_end >= target else 'BELOW'}"
    floor_part = f"{'-':>8}{'-':>8}{'-':>6}"
    if floor is not None:
        floor_part = f"{floor.seconds:8.2f}{_rate(jobs, floor.seconds)}{end_to_end / floor.seconds:6.1f}"
    return (
        f"{name:<26}{jobs:>8}{end_to_end:8.2f}{_rate(jobs, end_to_end)}{verdict:>13} |"
        f"{_stages(jobs, stages, parse_seconds)} |{floor_part}"
    )


def _stages(jobs: int, stages: Stages, parse_seconds: float) -> str:
    fetcher = stages.last_fetched - stages.started
    return (
        f"{stages.first_fetched - stages.started:8.2f}{_rate(jobs, fetcher)}"
        f"{_rate(jobs, parse_seconds)}{_rate(jobs, fetcher - parse_seconds)} |"
        f"{_rate(jobs, stages.last_status - stages.first_fetched)}"
        f"{_tail(stages.last_status - stages.last_fetched)} |"
        f"{_rate(jobs, stages.final_log - stages.first_status)}{_tail(stages.final_log - stages.last_status)}"
    )


def _rate(jobs: int, seconds: float) -> str:
    return f"{jobs / seconds:8.0f}" if seconds > 0 else f"{'-':>8}"


def _tail(seconds: float) -> str:
    return f"{f' (+{seconds:.1f}s)':>9}"
