"""Raw feed item → Job: identity, business fields, dates, and the few per-site conventions."""

import hashlib
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from schemas.job import Company, EmploymentType, Job, Location, Salary

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
COMPANY_FIELDS = ("company", "company_name", "employer", "hiringOrganization")
LOCATION_FIELDS = ("location", "region", "job_location")
DESCRIPTION_FIELDS = ("encoded", "html_description", "description", "content", "summary")
EMPLOYMENT_FIELDS = ("job_type", "type", "employment_type", "jobtype", "arrangement")
APPLY_FIELDS = ("application_link", "apply_url", "application_url", "applyurl")
EMPLOYMENT_TYPES = {
    "fulltime": EmploymentType.FULL_TIME,
    "parttime": EmploymentType.PART_TIME,
    "contract": EmploymentType.CONTRACTOR,
    "contractor": EmploymentType.CONTRACTOR,
    "freelance": EmploymentType.CONTRACTOR,
    "temporary": EmploymentType.TEMPORARY,
    "temp": EmploymentType.TEMPORARY,
    "internship": EmploymentType.INTERN,
    "intern": EmploymentType.INTERN,
    "volunteer": EmploymentType.VOLUNTEER,
    "perdiem": EmploymentType.PER_DIEM,
}
SALARY_INTERVALS = {"annually": "YEAR", "yearly": "YEAR", "monthly": "MONTH", "weekly": "WEEK"}
SALARY_INTERVALS |= {"daily": "DAY", "hourly": "HOUR"}
TRACKING_PARAMETER = re.compile(r"utm_.*|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_hs(enc|mi)")
LOCATION_SEPARATOR = re.compile(r"\s+/\s+|\s*[;|]\s*")
AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*([kKmM]?)")
INSTITUTION_AND_PLACE = re.compile(r"(?P<institution>.+?)\s*\((?P<place>[^()]+)\)")
BLOCK_TAGS = {"br", "p", "div", "li", "ul", "ol", "tr", "td", "th", "hr", "table", "blockquote"}
BLOCK_TAGS |= {"h1", "h2", "h3", "h4", "h5", "h6", "section", "article", "pre"}


class InvalidItem(Exception):
    """An item that cannot become a Job: reported as a failed status, not a failed run."""

    def __init__(self, reason_code: str, message: str, job_key: str | None = None) -> None:
        super().__init__(message)
        self.reason_code, self.message, self.job_key = reason_code, message, job_key


def source_of(feed_url: str) -> str:
    host = (urlsplit(feed_url.strip()).hostname or "").rstrip(".")
    if not host:
        raise ValueError(f"feed URL has no host: {feed_url!r}")
    return host.removeprefix("www.")


def canonical_url(url: str) -> str:
    parts = urlsplit(url.strip())
    userinfo, at, host_and_port = parts.netloc.rpartition("@")
    kept = [pair for pair in parts.query.split("&") if not _is_tracking(pair)]
    netloc = userinfo + at + host_and_port.lower()
    return urlunsplit((parts.scheme.lower(), netloc, parts.path, "&".join(kept), ""))


def _is_tracking(pair: str) -> bool:
    return TRACKING_PARAMETER.fullmatch(pair.partition("=")[0].lower()) is not None


def job_key(
    source: str,
    external_id: str | None,
    canonical_link: str | None,
    title: str | None,
    company: str | None,
    location: str | None,
) -> str:
    if external_id:
        return f"{source}:{external_id}"
    if canonical_link:
        return f"{source}:{canonical_link}"
    fingerprint = "\x1f".join(
        " ".join((part or "").casefold().split()) for part in (title, company, location)
    )
    return f"{source}:h:{hashlib.sha256(fingerprint.encode()).hexdigest()[:32]}"


def collapse_duplicates(jobs: list[Job]) -> tuple[list[Job], int]:
    first_per_key: dict[str, Job] = {}
    for job in jobs:
        first_per_key.setdefault(job.job_key, job)
    return list(first_per_key.values()), len(jobs) - len(first_per_key)


def normalize_item(item: dict[str, Any], fmt: str, source: str, warnings: list[str] | None = None) -> Job:
    """Unparseable dates become None and a message appended to `warnings`."""
    warnings = [] if warnings is None else warnings
    title, company, locations = _headline(item, source)
    external_id = _first(item, ID_FIELDS.get(fmt, ()))
    link = _link(item)
    url = canonical_url(link) if link else None
    if not title:
        raise _missing_title(source, external_id, url)
    key = job_key(source, external_id, url, title, company, locations[0].raw if locations else None)
    date_fields = INDEED_DATE_POSTED_FIELDS if fmt == "indeed" else DATE_POSTED_FIELDS
    description_html = _first(item, DESCRIPTION_FIELDS)
    employment = _first(item, EMPLOYMENT_FIELDS)
    return Job(
        job_key=key,
        source=source,
        external_id=external_id,
        title=title,
        company=_company(item, company),
        locations=locations,
        remote=_remote(item),
        employment_types=_employment_types(employment),
        employment_type_raw=employment,
        salary=_salary(item),
        description_html=description_html,
        description_text=html_to_text(description_html) if description_html else None,
        url=url,
        apply_url=_first(item, APPLY_FIELDS),
        date_posted=_date(item, date_fields, key, warnings),
        valid_through=_date(item, VALID_THROUGH_FIELDS, key, warnings),
        categories=_categories(item),
    )


def _missing_title(source: str, external_id: str | None, url: str | None) -> InvalidItem:
    if not (external_id or url):
        return InvalidItem("missing_identity", "item has no title, id or link")
    key = job_key(source, external_id, url, None, None, None)
    return InvalidItem("missing_title", "item has no title", key)


def _headline(item: dict[str, Any], source: str) -> tuple[str | None, str | None, list[Location]]:
    title = _line(_first(item, ("title",)))
    company = _line(_first(item, COMPANY_FIELDS))
    locations = _locations(item)
    # Per-site conventions, used only when the feed has no company element of its own.
    if company is None and title and source == "weworkremotely.com":
        company, title = _company_from_title(title)
    if company is None and source == "higheredjobs.com":
        company, locations = _institution_and_place(item, locations)
    return title, company, locations


def _company_from_title(title: str) -> tuple[str | None, str]:
    company, colon, rest = title.partition(": ")  # WWR titles read "Company: Job title"
    return (company.strip(), rest.strip()) if colon and company.strip() and rest.strip() else (None, title)


def _institution_and_place(
    item: dict[str, Any], locations: list[Location]
) -> tuple[str | None, list[Location]]:
    description = _line(html_to_text(_first(item, ("description",)) or ""))
    match = INSTITUTION_AND_PLACE.fullmatch(description or "")
    if match is None:
        return None, locations
    return match["institution"], locations or [Location(raw=match["place"])]


def _company(item: dict[str, Any], name: str | None) -> Company | None:
    if name is None:
        return None
    url = _first(item, ("company_url", "company_website"))
    return Company(name=name, url=url, logo=_first(item, ("company_logo", "company_logo_url")))


def _locations(item: dict[str, Any]) -> list[Location]:
    raw = _line(_first(item, LOCATION_FIELDS))
    if raw:
        return [Location(raw=part) for part in LOCATION_SEPARATOR.split(raw) if part]
    city, region, country = (_first(item, (name,)) for name in ("city", "state", "country"))
    if not (city or region or country):
        return []
    raw = ", ".join(part for part in (city, region, country) if part)
    return [Location(raw=raw, city=city, region=region, country=country)]


def _remote(item: dict[str, Any]) -> bool | None:
    flag = _first(item, ("remote", "location_type", "workplace_type"))
    return None if flag is None else flag.lower() in {"1", "true", "yes", "remote"}


def _employment_types(raw: str | None) -> list[EmploymentType]:
    kinds: list[EmploymentType] = []
    for part in re.split(r"[,/;|]", raw or ""):
        word = re.sub(r"[^a-z]", "", part.lower())
        kind = EMPLOYMENT_TYPES.get(word, EmploymentType.OTHER)
        if word and kind not in kinds:
            kinds.append(kind)
    return kinds


def _salary(item: dict[str, Any]) -> Salary | None:
    raw = _first(item, ("salary", "compensation"))
    low = _first(item, ("min_compensation", "salary_minimum", "salary_min"))
    high = _first(item, ("max_compensation", "salary_maximum", "salary_max"))
    if not (raw or low or high):
        return None  # a currency alone (WorkAtAStartup's empty compensations) says nothing
    currency = _first(item, ("compensation_currency", "salary_currency", "currency"))
    interval = _first(item, ("compensation_time_frame", "salary_schedule", "salary_interval"))
    return Salary(
        raw=raw or " - ".join(amount for amount in (low, high) if amount),
        min=_amount(low),
        max=_amount(high),
        currency=currency.upper() if currency else None,
        interval=SALARY_INTERVALS.get(interval.lower(), interval) if interval else None,
    )


def _amount(raw: str | None) -> float | None:
    match = AMOUNT.search(raw.replace(",", "")) if raw else None
    if match is None:
        return None
    return float(match[1]) * {"k": 1e3, "m": 1e6}.get(match[2].lower(), 1)


def _categories(item: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for category in _as_list(item.get("category")):
        name = (
            _text(category.get("@term") or category.get("#text"))
            if isinstance(category, dict)
            else _text(category)
        )
        if name and name not in names:
            names.append(name)
    return names


def _link(item: dict[str, Any]) -> str | None:
    for link in _as_list(item.get("link")):  # Atom: the alternate link's href
        if (
            isinstance(link, dict)
            and link.get("@rel", "alternate") == "alternate"
            and _text(link.get("@href"))
        ):
            return _text(link["@href"])
    return _text(item.get("link")) or _first(item, ("url",))


def _date(item: dict[str, Any], names: tuple[str, ...], key: str, warnings: list[str]) -> datetime | None:
    raw = _first(item, names)
    parsed = parse_date(raw) if raw else None
    if raw and parsed is None:
        warnings.append(f"{key}: unparseable date {raw!r}")
    return parsed


def parse_date(raw: str) -> datetime | None:
    """RFC 822 (with zone names) or ISO 8601 → aware UTC; naive times are taken as UTC."""
    for attempt in (datetime.fromisoformat, parsedate_to_datetime, _rfc822_date_only):
        try:
            parsed = attempt(raw.strip())
        except (ValueError, TypeError, IndexError, OverflowError):
            continue
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    return None


def _rfc822_date_only(raw: str) -> datetime:
    return parsedate_to_datetime(f"{raw} 00:00:00 +0000")


class _TextCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipped_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in {"script", "style"}:
            self.skipped_depth += 1
        self.parts.append(" " if tag in BLOCK_TAGS else "")

    def handle_endtag(self, tag: str) -> None:
        if tag in {"script", "style"} and self.skipped_depth:
            self.skipped_depth -= 1
        self.parts.append(" " if tag in BLOCK_TAGS else "")

    def handle_data(self, data: str) -> None:
        if not self.skipped_depth:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return " ".join("".join(collector.parts).split())


def _first(item: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        if found := _text(item.get(name)):
            return found
    return None


def _text(value: Any) -> str | None:
    for candidate in _as_list(value):
        if isinstance(candidate, dict):
            candidate = candidate.get("#text")
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def _line(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
