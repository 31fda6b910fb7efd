"""Parsed feed → unique Jobs, plus a failed status for every item that cannot become a Job."""

import logging
from datetime import datetime
from typing import Any

from schemas.events import JobStatus, Outcome, RunStarted
from schemas.job import Job
from services.fetcher.normalize import fields, workplace
from services.fetcher.normalize.identity import canonical_url, collapse_duplicates, job_key, web_url
from services.fetcher.normalize.names import field_names, unmappable
from services.fetcher.normalize.sanitize import MAX_DESCRIPTION_CHARS, describe
from services.fetcher.normalize.text import first_text, one_line, parse_date

log = logging.getLogger(__name__)
APPLY_SCHEMES = frozenset({"http", "https", "mailto"})
# Warnings about items listed per run; the rest are counted. They travel in the run's RunFetched,
# which a feed of 50,000 odd dates would otherwise push past the broker's message size limit.
MAX_ITEM_WARNINGS = 100
QUOTED_CHARS = 100


class InvalidItem(Exception):
    """An item that cannot become a Job: reported as a failed status, not a failed run."""

    def __init__(self, reason_code: str, message: str, job_key: str | None = None) -> None:
        super().__init__(message)
        self.reason_code, self.message, self.job_key = reason_code, message, job_key


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


def normalize_item(
    item: dict[str, Any],
    fmt: str,
    source: str,
    warnings: list[str] | None = None,
    field_map: dict[str, str] | None = None,
) -> Job:
    """Unparseable dates and capped descriptions are noted in `warnings`; `field_map` maps Job
    fields to this export's element names, which win over the built-in guesses."""
    warnings = [] if warnings is None else warnings
    names = field_names(fmt, field_map)
    external_id = first_text(item, names.id)
    link = _canonical(fields.link(item, names.url))
    title = one_line(first_text(item, names.title))
    if not title:
        raise _missing_title(source, external_id, link)
    description = describe(first_text(item, names.description))
    company, title, places = fields.company(item, names, source, title, description)
    locations, stated = fields.locations(item, names)
    locations = locations or places
    key = job_key(source, external_id, link, title, company.name if company else None, _first_raw(locations))
    if description.capped_from:
        warnings.append(
            f"{key}: description of {description.capped_from} characters cut to {MAX_DESCRIPTION_CHARS}"
        )
    employment = one_line(first_text(item, names.employment_type))
    where = workplace.workplace_type(item, source, stated, (title, employment))
    return Job(
        job_key=key,
        source=source,
        external_id=external_id,
        title=title,
        company=company,
        locations=locations,
        remote=workplace.remote(where, item),
        workplace_type=where,
        employment_types=fields.employment_types(employment),
        employment_type_raw=employment,
        salary=fields.salary(item, names, description.labels),
        description_html=description.html,
        description_text=description.text,
        url=web_url(link),
        apply_url=web_url(_canonical(fields.link(item, names.apply_url)), APPLY_SCHEMES),
        date_posted=_date(item, names.date_posted, key, warnings),
        valid_through=_date(item, names.valid_through, key, warnings),
        categories=fields.categories(item, names),
    )


def _canonical(url: str | None) -> str | None:
    try:
        return canonical_url(url) if url else None
    except ValueError:  # not a URL at all (an unclosed IPv6 bracket): no link, not a failed run
        return None


def _first_raw(locations: list[Any]) -> str | None:
    return locations[0].raw if locations else None


def _missing_title(source: str, external_id: str | None, url: str | None) -> InvalidItem:
    if not (external_id or url):
        return InvalidItem("missing_identity", "item has no title, id or link")
    key = job_key(source, external_id, url, None, None, None)
    return InvalidItem("missing_title", "item has no title", key)


def _quoted(raw: str) -> str:
    """A value as a warning quotes it: a field may hold a megabyte, a warning needs its start."""
    return repr(raw) if len(raw) <= QUOTED_CHARS else f"{raw[:QUOTED_CHARS]!r}... ({len(raw):,} characters)"


def _date(item: dict[str, Any], names: tuple[str, ...], key: str, warnings: list[str]) -> datetime | None:
    raw = first_text(item, names)
    parsed = parse_date(raw) if raw else None
    if raw and parsed is None:
        warnings.append(f"{key}: unparseable date {_quoted(raw)}")
    return parsed
