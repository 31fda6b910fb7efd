"""Location strings → places (city, region, country) and the workplace words they carry.

The rules are in services/fetcher/places.py; each case here is one of them."""

import pytest

from schemas.job import WorkplaceType
from services.fetcher.normalize.places import location_of, read_location, split_locations

# raw → (city, region, country), or None when the string names no place
READ = [
    ("San Francisco, CA, US", ("San Francisco", "CA", "US")),
    ("San Francisco, CA", ("San Francisco", "CA", "US")),  # a US state code means the US
    ("Miami, Florida", ("Miami", "FL", "US")),
    ("NY, US", (None, "NY", "US")),
    ("USA", (None, None, "US")),
    ("USA Only", (None, None, "US")),  # a restriction, not a name
    ("Europe, Norway", (None, None, "NO")),  # areas wider than a country are skipped
    ("Europe Only", (None, None, None)),
    ("Dortmund, Deutschland", ("Dortmund", None, "DE")),
    ("London, GBR", ("London", None, "GB")),
    ("Brazil, Rio de Janeiro", ("Rio de Janeiro", None, "BR")),  # country first
    ("Chicago, IL, 60611, US", ("Chicago", "IL", "US")),  # postcodes are skipped
    ("Selhurst Park Stadium, London, London, SE25 6PU, GB", ("London", None, "GB")),
    ("Vitality Stadium, Bournemouth, Dorset, UK", (None, None, "GB")),  # no sure city
    ("San Francisco", (None, None, None)),  # nothing to anchor a guess on
    ("Remote (US)", (None, None, "US")),
    ("Remote, United States", (None, None, "US")),
    ("Anywhere", None),
    ("Worldwide", None),
    ("Remote", None),
]


@pytest.mark.parametrize(("raw", "expected"), READ)
def test_places_are_read_only_as_far_as_the_string_anchors_them(
    raw: str, expected: tuple[str | None, str | None, str | None] | None
) -> None:
    place, _ = read_location(raw)
    assert (place and (place.city, place.region, place.country)) == expected
    assert place is None or place.raw == raw


@pytest.mark.parametrize(
    ("raw", "workplace"),
    [
        ("Anywhere in the World", WorkplaceType.REMOTE),
        ("Remote (EU)", WorkplaceType.REMOTE),
        ("London (Hybrid)", WorkplaceType.HYBRID),
        ("Paris, On-site", WorkplaceType.ON_SITE),
        ("Oslo", None),
    ],
)
def test_workplace_words_in_a_location_are_stated_not_placed(
    raw: str, workplace: WorkplaceType | None
) -> None:
    assert read_location(raw)[1] == workplace


def test_lists_split_on_slashes_semicolons_and_bars_outside_parentheses() -> None:
    raw = "San Francisco, CA, US / Remote (US; CA) | Berlin; Paris, FR"
    assert split_locations(raw) == ["San Francisco, CA, US", "Remote (US; CA)", "Berlin", "Paris, FR"]


def test_fields_given_one_by_one_keep_their_words_with_a_known_country_as_a_code() -> None:
    place = location_of("Levallois-Perret", "Île-de-France", "France")
    assert place is not None and place.model_dump() == {
        "raw": "Levallois-Perret, Île-de-France, France",
        "city": "Levallois-Perret",
        "region": "Île-de-France",
        "country": "FR",
    }
    assert location_of(None, None, None) is None
