"""The business fields of a job read from a RawJob's strings — company, places, pay, contract —
including the few per-site conventions."""

import re
from collections.abc import Callable

from schemas.job import Company, EmploymentType, Location, Salary, WorkplaceType
from services.fetcher.normalize.identity import web_url
from services.fetcher.normalize.places import location_of, read_location, split_locations
from services.fetcher.normalize.raw import one_line
from services.fetcher.normalize.salary import salary_from_fields, salary_from_text
from services.fetcher.normalize.sanitize import Description

EMPLOYMENT_TYPES = {"fulltime": EmploymentType.FULL_TIME, "parttime": EmploymentType.PART_TIME}
EMPLOYMENT_TYPES |= dict.fromkeys(("contract", "contractor", "freelance"), EmploymentType.CONTRACTOR)
EMPLOYMENT_TYPES |= dict.fromkeys(("temporary", "temp", "seasonal"), EmploymentType.TEMPORARY)
EMPLOYMENT_TYPES |= dict.fromkeys(("internship", "intern"), EmploymentType.INTERN)
EMPLOYMENT_TYPES |= {"volunteer": EmploymentType.VOLUNTEER, "perdiem": EmploymentType.PER_DIEM}
EMPLOYMENT_SEPARATOR = re.compile(r"[,/;|&]|\band\b|\bor\b", re.IGNORECASE)
INSTITUTION_AND_PLACE = re.compile(r"(?P<institution>.+?)\s*\((?P<place>[^()]+)\)")
# Labels in a description that name the employer, for feeds without a company element
# (JobSight's "Council: Alpine Shire Council").
COMPANY_LABELS = ("company", "employer", "organisation", "organization", "council")
SALARY_LABELS = ("salary", "pay", "compensation", "remuneration", "wage", "salary range")
WORKPLACE_RANK = (WorkplaceType.REMOTE, WorkplaceType.HYBRID, WorkplaceType.ON_SITE)


def _company_colon_title(title: str) -> tuple[str, str] | None:
    company, colon, rest = title.partition(": ")  # WWR: "Company: Job title"
    return (company.strip(), rest.strip()) if colon and company.strip() and rest.strip() else None


def _title_at_company(title: str) -> tuple[str, str] | None:
    rest, at, company = title.rpartition(" at ")  # techcorridor: "Job title at Company"
    return (company.strip(), rest.strip()) if at and company.strip() and rest.strip() else None


# Company names hidden in titles, per site; used only when an item has no company element.
TITLE_CONVENTIONS: dict[str, Callable[[str], tuple[str, str] | None]] = {
    "weworkremotely.com": _company_colon_title,
    "jobs.techcorridor.io": _title_at_company,
}


def company(
    name: str | None, url: str | None, logo: str | None, source: str, title: str, description: Description
) -> tuple[Company | None, str, list[Location]]:
    """The company, the title without it, and the place when the site writes it with the company."""
    places = list[Location]()
    convention = TITLE_CONVENTIONS.get(source)
    if name is None and convention and (split := convention(title)):
        name, title = split
    elif name is None and source == "higheredjobs.com":
        name, places = _institution_and_place(description.text)
    elif name is None:
        name = _first_label(description.labels, COMPANY_LABELS)
    if name is None:
        return None, title, places
    if url is None and source == "weworkremotely.com":  # its descriptions open with "URL: ..."
        url = description.labels.get("url")
    return Company(name=name, url=web_url(url), logo=web_url(logo)), title, places


def _institution_and_place(description: str | None) -> tuple[str | None, list[Location]]:
    match = INSTITUTION_AND_PLACE.fullmatch(one_line(description) or "")  # "Tufts (Medford, MA)"
    if match is None:
        return None, []
    place, _ = read_location(match["place"])
    return match["institution"], [place] if place else []


def _first_label(found: dict[str, str], labels: tuple[str, ...]) -> str | None:
    return next((found[label] for label in labels if label in found), None)


def locations(
    raw: str | None, city: str | None, region: str | None, country: str | None
) -> tuple[list[Location], WorkplaceType | None]:
    """The places a location string names and the workplace it states; else the place given field
    by field."""
    if raw is None:
        place = location_of(city, region, country)
        return ([place] if place else []), None
    places: list[Location] = []
    said = set()
    for part in split_locations(raw):
        place, workplace = read_location(part)
        places += [place] if place else []
        said.add(workplace)
    return places, next((workplace for workplace in WORKPLACE_RANK if workplace in said), None)


def employment_types(raw: str | None) -> list[EmploymentType]:
    kinds: list[EmploymentType] = []
    for part in EMPLOYMENT_SEPARATOR.split(raw or ""):
        word = re.sub(r"[^a-z]", "", part.lower())
        kind = EMPLOYMENT_TYPES.get(word, EmploymentType.OTHER)
        if word and kind not in kinds:
            kinds.append(kind)
    return kinds


def salary(
    text: str | None,
    low: str | None,
    high: str | None,
    currency: str | None,
    interval: str | None,
    labels: dict[str, str],
) -> Salary | None:
    if low or high:
        return salary_from_fields(low, high, currency, interval)
    # A currency alone (WorkAtAStartup's empty compensations) says nothing: no salary.
    raw = text or _first_label(labels, SALARY_LABELS)
    return salary_from_text(raw) if raw else None
