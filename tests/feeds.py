"""A whole parsed feed normalized at once, as tests look at it (the fetcher itself goes batch by
batch through `FeedNormalizer`)."""

from dataclasses import dataclass

from schemas.events import JobStatus, RunStarted
from schemas.job import Job
from services.fetcher.normalize import FeedNormalizer
from services.fetcher.parse.stream import ParsedFeed


@dataclass(frozen=True)
class Normalized:
    jobs: list[Job]
    invalid: list[JobStatus]
    duplicates: int
    warnings: list[str]


def normalize_feed(
    parsed: ParsedFeed, source: str, run: RunStarted, field_map: dict[str, str] | None = None
) -> Normalized:
    """Every item becomes a unique Job or a failed status; in-feed duplicates are collapsed."""
    normalizer = FeedNormalizer(source, parsed.format, run, field_map)
    jobs, invalid = normalizer.batch(parsed.items)
    return Normalized(jobs, invalid, normalizer.duplicates, list(parsed.warnings) + normalizer.warnings)
