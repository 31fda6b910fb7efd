"""Parsed feed → unique Jobs, plus a failed status for every item that cannot become a Job."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from schemas.events import JobStatus, Outcome, RunStarted
from schemas.job import Job
from services.fetcher import fields
from services.fetcher.identity import canonical_url, collapse_duplicates, job_key
from services.fetcher.parse import ParsedFeed
from services.fetcher.text import first_text, html_to_text, parse_date

# Identity, best first (DESIGN "Identity"): a reference number beats a guid, which beats the
# link (the caller's fallback). In custom `<jobs>` exports `guid` beats `id`: football jobs'
# `id` is the upstream ATS number, while its guid namespaces that number per company.
ID_FIELDS = {
    "rss": ("guid", "@about"),
    "rdf": ("guid", "@about"),
    "atom": ("id",),
    "indeed": ("referencenumber", "guid", "id"),
    "jobs": ("referencenumber", "job_reference", "reference", "guid", "id"),
}
# Indeed's `<date>` is ignored on purpose: generators stamp their build time on every job (all
# 16 Talia jobs carry the lastBuildDate), and content_hash covers date_posted, so taking it
# would turn every unchanged job into "updated" on every rebuild of the feed.
DATE_POSTED_FIELDS = ("pubDate", "date", "published", "published_at", "posted_at", "updated")
INDEED_DATE_POSTED_FIELDS = ("posted_at", "published_at")
VALID_THROUGH_FIELDS = ("expires_at", "expiration", "expiration_date", "valid_through")
DESCRIPTION_FIELDS = ("encoded", "html_description", "description", "content", "summary")
EMPLOYMENT_FIELDS = ("job_type", "type", "employment_type", "jobtype", "arrangement")
APPLY_FIELDS = ("application_link", "apply_url", "application_url", "applyurl")


class InvalidItem(Exception):
    """An item that cannot become a Job: reported as a failed status, not a failed run."""

    def __init__(self, reason_code: str, message: str, job_key: str | None = None) -> None:
        super().__init__(message)
        self.reason_code, self.message, self.job_key = reason_code, message, job_key


@dataclass(frozen=True)
class Normalized:
    jobs: list[Job]
    invalid: list[JobStatus]
    duplicates: int
    warnings: list[str]


def normalize_feed(parsed: ParsedFeed, source: str, run: RunStarted) -> Normalized:
    """Every item becomes a unique Job or a failed status; in-feed duplicates are collapsed."""
    warnings = list(parsed.warnings)
    jobs: list[Job] = []
    invalid: list[JobStatus] = []
    for position, item in enumerate(parsed.items):
        try:
            jobs.append(normalize_item(item, parsed.format, source, warnings))
        except InvalidItem as error:
            invalid.append(_invalid_status(run, source, position, error))
    unique, duplicates = collapse_duplicates(jobs)
    return Normalized(unique, invalid, duplicates, warnings)


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


def normalize_item(item: dict[str, Any], fmt: str, source: str, warnings: list[str] | None = None) -> Job:
    """Unparseable dates become None and a message appended to `warnings`."""
    warnings = [] if warnings is None else warnings
    title, company, locations = fields.headline(item, source)
    external_id = first_text(item, ID_FIELDS.get(fmt, ()))
    link = fields.link(item)
    url = canonical_url(link) if link else None
    if not title:
        raise _missing_title(source, external_id, url)
    key = job_key(source, external_id, url, title, company, locations[0].raw if locations else None)
    date_fields = INDEED_DATE_POSTED_FIELDS if fmt == "indeed" else DATE_POSTED_FIELDS
    description_html = first_text(item, DESCRIPTION_FIELDS)
    employment = first_text(item, EMPLOYMENT_FIELDS)
    return Job(
        job_key=key,
        source=source,
        external_id=external_id,
        title=title,
        company=fields.company(item, company),
        locations=locations,
        remote=fields.remote(item),
        employment_types=fields.employment_types(employment),
        employment_type_raw=employment,
        salary=fields.salary(item),
        description_html=description_html,
        description_text=html_to_text(description_html) if description_html else None,
        url=url,
        apply_url=first_text(item, APPLY_FIELDS),
        date_posted=_date(item, date_fields, key, warnings),
        valid_through=_date(item, VALID_THROUGH_FIELDS, key, warnings),
        categories=fields.categories(item),
    )


def _missing_title(source: str, external_id: str | None, url: str | None) -> InvalidItem:
    if not (external_id or url):
        return InvalidItem("missing_identity", "item has no title, id or link")
    key = job_key(source, external_id, url, None, None, None)
    return InvalidItem("missing_title", "item has no title", key)


def _date(item: dict[str, Any], names: tuple[str, ...], key: str, warnings: list[str]) -> datetime | None:
    raw = first_text(item, names)
    parsed = parse_date(raw) if raw else None
    if raw and parsed is None:
        warnings.append(f"{key}: unparseable date {raw!r}")
    return parsed
