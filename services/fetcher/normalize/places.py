"""Location strings → places (city, region, country) and the workplace words they carry.

How one location string is read (a list is first split on " / ", ";" or "|" outside parentheses):
- "Remote", "Anywhere", "Worldwide", "Anywhere in the World" name no place: they say REMOTE.
  What they qualify is still a place: "Remote (US)" and "Remote, United States" are in the US.
  "Hybrid" and "On-site" likewise say HYBRID / ON_SITE and are no place.
- A trailing "Only" restricts, it does not name: "USA Only" is the US.
- Areas wider than a country (Europe, Americas, EMEA, ...) are not places: "Europe, Norway" is
  Norway; "Europe" alone keeps only its raw text.
- Comma parts are anchored from the end: a country (name, alias or upper-case ISO code) gives
  `country`; a US state (upper-case code or name) gives `region` and country US — a two-letter
  code that is both ("CA", "IN", "DE") is read as the state, as US feeds write "City, ST".
  After a state, or after a postcode (a part with digits) before the country, the part before
  it is the city ("Venue, London, SE25 6PU, GB"); otherwise only a lone part left beside the
  country is ("Dortmund, Deutschland"; a lone stadium name is misread as a city, and the raw
  text is there to show it), and "Venue, Town, County, UK" gives no city at all.
  A country first ("Brazil, Rio de Janeiro") is read the other way round.
- Nothing is guessed without such an anchor: "San Francisco" stays raw.
Countries are ISO 3166-1 alpha-2 codes.
"""

import re

from schemas.job import Location, WorkplaceType
from services.fetcher.normalize.countries import (
    COUNTRY_BY_NAME,
    COUNTRY_CODES,
    US_STATE_BY_NAME,
    US_STATE_CODES,
)

LIST_SEPARATOR = re.compile(r"\s+/\s+|\s*[;|]\s*(?![^()]*\))")
QUALIFIED = re.compile(r"(?P<name>.*?)\s*\((?P<qualifier>[^()]*)\)")
RESTRICTION = re.compile(r"\s+only$", re.IGNORECASE)
CSS_RULE = re.compile(r"\s*[#.][\w.-]+\s*\{[^}]*\}")  # page styles pasted into a location field
WORKPLACE_WORDS = {
    "remote": WorkplaceType.REMOTE,
    "fully remote": WorkplaceType.REMOTE,
    "100% remote": WorkplaceType.REMOTE,
    "anywhere": WorkplaceType.REMOTE,
    "anywhere in the world": WorkplaceType.REMOTE,
    "worldwide": WorkplaceType.REMOTE,
    "work from home": WorkplaceType.REMOTE,
    "hybrid": WorkplaceType.HYBRID,
    "on-site": WorkplaceType.ON_SITE,
    "onsite": WorkplaceType.ON_SITE,
    "on site": WorkplaceType.ON_SITE,
}
AREAS = {"europe", "eu", "emea", "apac", "asia pacific", "asia", "africa", "oceania", "middle east"}
AREAS |= {"americas", "north america", "south america", "latin america", "latam", "nordics"}


def split_locations(raw: str) -> list[str]:
    return [part for part in LIST_SEPARATOR.split(CSS_RULE.sub("", raw)) if part]


def read_location(raw: str) -> tuple[Location | None, WorkplaceType | None]:
    """The place a location string names (None if none) and the workplace type it states."""
    parts, workplace = _place_parts(raw)
    if not parts:
        return None, workplace
    city, region, country = _anchored(parts)
    return Location(raw=raw, city=city, region=region, country=country), workplace


def location_of(city: str | None, region: str | None, country: str | None) -> Location | None:
    """A place given field by field (Indeed's city/state/country elements)."""
    if not (city or region or country):
        return None
    raw = ", ".join(part for part in (city, region, country) if part)
    return Location(raw=raw, city=city, region=region, country=_country(country) or country)


def _place_parts(raw: str) -> tuple[list[str], WorkplaceType | None]:
    qualified = QUALIFIED.fullmatch(raw.strip())
    names = [qualified["name"], qualified["qualifier"]] if qualified else [raw]
    parts: list[str] = []
    workplace = None
    for name in names:
        for part in name.split(","):
            part = RESTRICTION.sub("", part.strip())
            said = WORKPLACE_WORDS.get(part.casefold())
            workplace = workplace or said
            if part and said is None and not _repeats(parts, part):
                parts.append(part)
    return parts, workplace


def _repeats(parts: list[str], part: str) -> bool:
    return bool(parts) and parts[-1].casefold() == part.casefold()


def _anchored(parts: list[str]) -> tuple[str | None, str | None, str | None]:
    names = [part for part in parts if part.casefold() not in AREAS]
    if len(names) > 1 and _country(names[0]) and not _is_anchor(names[-1]) and not _has_digits(names[-1]):
        names.reverse()  # "Brazil, Rio de Janeiro": the country comes first
    country = None
    if names and not _state(names[-1]) and (country := _country(names[-1])):
        names.pop()
    postcode = bool(names) and _has_digits(names[-1]) and bool(names.pop())
    if country in (None, "US") and names and (state := _state(names[-1])):
        names.pop()
        return _city(names[-1:]), state, "US"
    if country is None:
        return None, None, None
    # "Venue, City, Postcode, Country" names its city before the postcode; without one, several
    # parts may be a venue, a town and a county, in any mix.
    return _city(names[-1:] if postcode else names), None, country


def _is_anchor(name: str) -> bool:
    return bool(_country(name) or _state(name))


def _city(names: list[str]) -> str | None:
    return names[0] if len(names) == 1 and not _has_digits(names[0]) else None


def _has_digits(part: str) -> bool:
    return any(character.isdigit() for character in part)


def _country(name: str | None) -> str | None:
    if name and len(name) == 2 and name.isupper() and name in COUNTRY_CODES:
        return name
    return COUNTRY_BY_NAME.get(name.casefold()) if name else None


def _state(name: str) -> str | None:
    if len(name) == 2 and name.isupper():
        return name if name in US_STATE_CODES else None
    return US_STATE_BY_NAME.get(name.casefold())
