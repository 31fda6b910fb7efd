"""One raw item, as parse shapes it (a dict of local names), → a RawJob: the text of every field
the Job is made from, each picked once, by the element names `names.py` lists for its format.

The structured bits are read here too: an Atom entry's alternate `link@href`, an image's
`media:content@url`, a `category@term`. The fields a Job holds on one line (title, company,
location, job type, salary) come as one line. Everything after this reads strings.
"""

from dataclasses import dataclass
from typing import Any

from services.fetcher.normalize.names import FieldNames


@dataclass(frozen=True, slots=True)
class RawJob:
    id: str | None
    title: str | None
    link: str | None
    apply_link: str | None
    description: str | None
    company: str | None
    company_url: str | None
    company_logo: str | None
    location: str | None
    city: str | None
    region: str | None
    country: str | None
    employment_type: str | None
    salary: str | None
    salary_min: str | None
    salary_max: str | None
    salary_currency: str | None
    salary_interval: str | None
    workplace: str | None
    remote: str | None
    date_posted: str | None
    valid_through: str | None
    categories: list[str]


def read_raw_job(item: dict[str, Any], names: FieldNames) -> RawJob:
    return RawJob(
        id=first_text(item, names.id),
        title=one_line(first_text(item, names.title)),
        link=_link(item, names.url),
        apply_link=_link(item, names.apply_url),
        description=first_text(item, names.description),
        company=one_line(first_text(item, names.company)),
        company_url=first_text(item, names.company_url),
        company_logo=_image(item) or first_text(item, names.company_logo),
        location=one_line(first_text(item, names.location)),
        city=first_text(item, names.city),
        region=first_text(item, names.region),
        country=first_text(item, names.country),
        employment_type=one_line(first_text(item, names.employment_type)),
        salary=one_line(first_text(item, names.salary)),
        salary_min=first_text(item, names.salary_min),
        salary_max=first_text(item, names.salary_max),
        salary_currency=first_text(item, names.salary_currency),
        salary_interval=first_text(item, names.salary_interval),
        workplace=first_text(item, names.workplace),
        remote=first_text(item, names.remote),
        date_posted=first_text(item, names.date_posted),
        valid_through=first_text(item, names.valid_through),
        categories=_categories(item, names.category),
    )


def one_line(text: str | None) -> str | None:
    return " ".join(text.split()) if text else None


def first_text(item: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        if found := text_of(item.get(name)):
            return found
    return None


def text_of(value: Any) -> str | None:
    for candidate in as_list(value):
        if isinstance(candidate, dict):
            candidate = candidate.get("#text")
        if isinstance(candidate, str) and candidate.strip():
            return candidate.strip()
    return None


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _link(item: dict[str, Any], names: tuple[str, ...]) -> str | None:
    for name in names:
        for candidate in as_list(item.get(name)):  # Atom: the alternate link's href
            if isinstance(candidate, dict) and candidate.get("@rel", "alternate") != "alternate":
                continue
            found = text_of(candidate.get("@href") or candidate) if isinstance(candidate, dict) else None
            if found := found or text_of(candidate):
                return found
    return None


def _image(item: dict[str, Any]) -> str | None:
    for media in as_list(item.get("content")) + as_list(item.get("thumbnail")):  # media:content
        if isinstance(media, dict) and _is_image(media) and text_of(media.get("@url")):
            return text_of(media["@url"])
    return None


def _is_image(media: dict[str, Any]) -> bool:
    if "@medium" in media:
        return media["@medium"] == "image"
    return str(media.get("@type", "image/")).startswith("image/")


def _categories(item: dict[str, Any], names: tuple[str, ...]) -> list[str]:
    found: list[str] = []
    for category in (value for name in names for value in as_list(item.get(name))):
        name = text_of(category.get("@term") or category) if isinstance(category, dict) else text_of(category)
        if name and name not in found:
            found.append(name)
    return found
