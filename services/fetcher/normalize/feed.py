"""A feed's raw items, batch by batch → unique Jobs, plus a failed status for every item that cannot
become a Job."""

import logging
from typing import Any

from schemas.events import JobStatus, Outcome, RunStarted
from schemas.job import Job
from services.fetcher.normalize.identity import collapse_duplicates
from services.fetcher.normalize.item import InvalidItem, normalize_item
from services.fetcher.normalize.names import unmappable

log = logging.getLogger(__name__)
# Warnings about items listed per run; the rest are counted. They travel in the run's RunFetched,
# which a feed of 50,000 odd dates would otherwise push past the broker's message size limit.
MAX_ITEM_WARNINGS = 100


class FeedNormalizer:
    """Normalizes one feed batch by batch: positions run on, duplicates collapse across batches."""

    def __init__(
        self, source: str, fmt: str, run: RunStarted, field_map: dict[str, str] | None = None
    ) -> None:
        self.source, self.format, self.run, self.field_map = source, fmt, run, field_map
        self._field_map_warnings = [
            f"field_map: {name!r} is not a mappable job field, ignored" for name in unmappable(field_map)
        ]
        self._item_warnings: list[str] = []
        self._unlisted_warnings = 0
        self.duplicates = 0
        self._seen: set[str] = set()
        self._position = 0

    @property
    def warnings(self) -> list[str]:
        unlisted = self._unlisted_warnings
        more = [f"{unlisted:,} more warnings about items, not listed"] if unlisted else []
        return self._field_map_warnings + self._item_warnings + more

    def batch(self, items: list[dict[str, Any]]) -> tuple[list[Job], list[JobStatus]]:
        """Every item becomes a Job or a failed status: whatever goes wrong with one item is its own."""
        jobs: list[Job] = []
        invalid: list[JobStatus] = []
        warnings: list[str] = []
        for item in items:
            try:
                jobs.append(normalize_item(item, self.format, self.source, warnings, self.field_map))
            except InvalidItem as error:
                invalid.append(_invalid_status(self.run, self.source, self._position, error))
            except Exception as error:  # a bug, or an input no rule foresaw: this item fails, not the run
                log.exception("item could not be normalized", extra=self._where())
                invalid.append(_invalid_status(self.run, self.source, self._position, _unexpected(error)))
            self._position += 1
        self._keep(warnings)
        unique, _ = collapse_duplicates([job for job in jobs if job.job_key not in self._seen])
        self._seen.update(job.job_key for job in unique)
        self.duplicates += len(jobs) - len(unique)
        return unique, invalid

    def _keep(self, warnings: list[str]) -> None:
        listed = warnings[: max(0, MAX_ITEM_WARNINGS - len(self._item_warnings))]
        self._item_warnings += listed
        self._unlisted_warnings += len(warnings) - len(listed)

    def _where(self) -> dict[str, Any]:
        return {"run_id": self.run.run_id, "feed_id": self.run.feed_id, "position": self._position}


def _unexpected(error: Exception) -> InvalidItem:
    # The type alone: the log has the traceback; an exception's text may quote the whole item.
    return InvalidItem("normalize_error", f"the item could not be normalized: {type(error).__name__}")


def _invalid_status(run: RunStarted, source: str, position: int, error: InvalidItem) -> JobStatus:
    return JobStatus(
        run_id=run.run_id,
        trigger_id=run.trigger_id,
        feed_id=run.feed_id,
        # keyed by position: an invalid item must never collide with a job or another invalid item
        job_key=f"{source}:invalid:{position}",
        outcome=Outcome.FAILED,
        reason_code=error.reason_code,
        message=str(error),
    )
