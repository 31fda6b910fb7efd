"""Business fields of a raw item — headline, company, places, pay, contract, categories, link —
including the few per-site conventions."""

import re
from typing import Any

from schemas.job import Company, EmploymentType, Location, Salary
from services.fetcher.text import as_list, first_text, html_to_text, one_line, text_of

COMPANY_FIELDS = ("company", "company_name", "employer", "hiringOrganization")
LOCATION_FIELDS = ("location", "region", "job_location")
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
LOCATION_SEPARATOR = re.compile(r"\s+/\s+|\s*[;|]\s*")
AMOUNT = re.compile(r"(\d+(?:\.\d+)?)\s*([kKmM]?)")
INSTITUTION_AND_PLACE = re.compile(r"(?P<institution>.+?)\s*\((?P<place>[^()]+)\)")


def headline(item: dict[str, Any], source: str) -> tuple[str | None, str | None, list[Location]]:
    title = one_line(first_text(item, ("title",)))
    company = one_line(first_text(item, COMPANY_FIELDS))
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
    description = one_line(html_to_text(first_text(item, ("description",)) or ""))
    match = INSTITUTION_AND_PLACE.fullmatch(description or "")
    if match is None:
        return None, locations
    return match["institution"], locations or [Location(raw=match["place"])]


def company(item: dict[str, Any], name: str | None) -> Company | None:
    if name is None:
        return None
    url = first_text(item, ("company_url", "company_website"))
    return Company(name=name, url=url, logo=first_text(item, ("company_logo", "company_logo_url")))


def _locations(item: dict[str, Any]) -> list[Location]:
    raw = one_line(first_text(item, LOCATION_FIELDS))
    if raw:
        return [Location(raw=part) for part in LOCATION_SEPARATOR.split(raw) if part]
    city, region, country = (first_text(item, (name,)) for name in ("city", "state", "country"))
    if not (city or region or country):
        return []
    raw = ", ".join(part for part in (city, region, country) if part)
    return [Location(raw=raw, city=city, region=region, country=country)]


def remote(item: dict[str, Any]) -> bool | None:
    flag = first_text(item, ("remote", "location_type", "workplace_type"))
    return None if flag is None else flag.lower() in {"1", "true", "yes", "remote"}


def employment_types(raw: str | None) -> list[EmploymentType]:
    kinds: list[EmploymentType] = []
    for part in re.split(r"[,/;|]", raw or ""):
        word = re.sub(r"[^a-z]", "", part.lower())
        kind = EMPLOYMENT_TYPES.get(word, EmploymentType.OTHER)
        if word and kind not in kinds:
            kinds.append(kind)
    return kinds


def salary(item: dict[str, Any]) -> Salary | None:
    raw = first_text(item, ("salary", "compensation"))
    low = first_text(item, ("min_compensation", "salary_minimum", "salary_min"))
    high = first_text(item, ("max_compensation", "salary_maximum", "salary_max"))
    if not (raw or low or high):
        return None  # a currency alone (WorkAtAStartup's empty compensations) says nothing
    currency = first_text(item, ("compensation_currency", "salary_currency", "currency"))
    interval = first_text(item, ("compensation_time_frame", "salary_schedule", "salary_interval"))
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


def categories(item: dict[str, Any]) -> list[str]:
    names: list[str] = []
    for category in as_list(item.get("category")):
        name = (
            text_of(category.get("@term") or category.get("#text"))
            if isinstance(category, dict)
            else text_of(category)
        )
        if name and name not in names:
            names.append(name)
    return names


def link(item: dict[str, Any]) -> str | None:
    for candidate in as_list(item.get("link")):  # Atom: the alternate link's href
        if (
            isinstance(candidate, dict)
            and candidate.get("@rel", "alternate") == "alternate"
            and text_of(candidate.get("@href"))
        ):
            return text_of(candidate["@href"])
    return text_of(item.get("link")) or first_text(item, ("url",))
