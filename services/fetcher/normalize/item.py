"""One raw item → a Job, step by step: read its fields once (a RawJob), then interpret each from
strings. An item that cannot become a Job raises InvalidItem; odd values become warnings."""

from datetime import datetime
from typing import Any

from schemas.job import Job, Location
from services.fetcher.normalize import fields, workplace
from services.fetcher.normalize.dates import parse_date
from services.fetcher.normalize.identity import canonical_url, job_key, web_url
from services.fetcher.normalize.names import field_names
from services.fetcher.normalize.raw import RawJob, read_raw_job
from services.fetcher.normalize.sanitize import MAX_DESCRIPTION_CHARS, describe

APPLY_SCHEMES = frozenset({"http", "https", "mailto"})
QUOTED_CHARS = 100


class InvalidItem(Exception):
    """An item that cannot become a Job: reported as a failed status, not a failed run."""

    def __init__(self, reason_code: str, message: str, job_key: str | None = None) -> None:
        super().__init__(message)
        self.reason_code, self.message, self.job_key = reason_code, message, job_key


def normalize_item(
    item: dict[str, Any],
    fmt: str,
    source: str,
    warnings: list[str] | None = None,
    field_map: dict[str, str] | None = None,
) -> Job:
    """Unparseable dates and capped descriptions are noted in `warnings`; `field_map` maps Job
    fields to this export's element names, which win over the built-in guesses."""
    raw = read_raw_job(item, field_names(fmt, field_map))
    return job_of(raw, source, [] if warnings is None else warnings)


def job_of(raw: RawJob, source: str, warnings: list[str]) -> Job:
    """Link and title (no title, no job), description, company, places, key, workplace, then
    the fields that need nothing else."""
    link = _canonical(raw.link)
    if not raw.title:
        raise _missing_title(source, raw.id, link)
    description = describe(raw.description)
    company, title, places = fields.company(
        raw.company, raw.company_url, raw.company_logo, source, raw.title, description
    )
    locations, stated = fields.locations(raw.location, raw.city, raw.region, raw.country)
    locations = locations or places
    key = job_key(source, raw.id, link, title, company.name if company else None, _first_raw(locations))
    if description.capped_from:
        warnings.append(
            f"{key}: description of {description.capped_from} characters cut to {MAX_DESCRIPTION_CHARS}"
        )
    where, remote = workplace.workplace_of(
        raw.workplace, raw.remote, source, stated, (title, raw.employment_type)
    )
    return Job(
        job_key=key,
        source=source,
        external_id=raw.id,
        title=title,
        company=company,
        locations=locations,
        remote=remote,
        workplace_type=where,
        employment_types=fields.employment_types(raw.employment_type),
        employment_type_raw=raw.employment_type,
        salary=fields.salary(
            raw.salary,
            raw.salary_min,
            raw.salary_max,
            raw.salary_currency,
            raw.salary_interval,
            description.labels,
        ),
        description_html=description.html,
        description_text=description.text,
        url=web_url(link),
        apply_url=web_url(_canonical(raw.apply_link), APPLY_SCHEMES),
        date_posted=_date(raw.date_posted, key, warnings),
        valid_through=_date(raw.valid_through, key, warnings),
        categories=raw.categories,
    )


def _canonical(url: str | None) -> str | None:
    try:
        return canonical_url(url) if url else None
    except ValueError:  # not a URL at all (an unclosed IPv6 bracket): no link, not a failed run
        return None


def _first_raw(locations: list[Location]) -> str | None:
    return locations[0].raw if locations else None


def _missing_title(source: str, external_id: str | None, url: str | None) -> InvalidItem:
    if not (external_id or url):
        return InvalidItem("missing_identity", "item has no title, id or link")
    key = job_key(source, external_id, url, None, None, None)
    return InvalidItem("missing_title", "item has no title", key)


def _quoted(raw: str) -> str:
    """A value as a warning quotes it: a field may hold a megabyte, a warning needs its start."""
    return repr(raw) if len(raw) <= QUOTED_CHARS else f"{raw[:QUOTED_CHARS]!r}... ({len(raw):,} characters)"


def _date(raw: str | None, key: str, warnings: list[str]) -> datetime | None:
    parsed = parse_date(raw) if raw else None
    if raw and parsed is None:
        warnings.append(f"{key}: unparseable date {_quoted(raw)}")
    return parsed
