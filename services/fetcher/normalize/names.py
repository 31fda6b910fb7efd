"""Which element names (local names, best first) hold each Job field, per feed format, and how a
feed's own field map puts its export's names first."""

from dataclasses import dataclass, replace

# Identity, best first (DESIGN "Identity"): a reference number beats a guid, which beats the
# link (the caller's fallback). In custom `<jobs>` exports `guid` beats `id`: football jobs'
# `id` is the upstream ATS number, while its guid namespaces that number per company.
ID_NAMES = {
    "rss": ("guid", "@about"),
    "rdf": ("guid", "@about"),
    "atom": ("id",),
    "indeed": ("referencenumber", "guid", "id"),
    "jobs": ("referencenumber", "job_reference", "reference", "guid", "id"),
    "json": ("id",),  # JSON Feed items[].id, as an Atom entry's id
}
DATE_POSTED_NAMES = ("pubDate", "date", "published", "published_at", "posted_at", "datePosted", "updated")
# Indeed's `<date>` is ignored on purpose: generators stamp their build time on every job (all
# 16 Talia jobs carry the lastBuildDate), and content_hash covers date_posted, so taking it
# would turn every unchanged job into "updated" on every rebuild of the feed.
INDEED_DATE_POSTED_NAMES = ("posted_at", "published_at", "datePosted")


@dataclass(frozen=True)
class FieldNames:
    id: tuple[str, ...]
    date_posted: tuple[str, ...] = DATE_POSTED_NAMES
    title: tuple[str, ...] = ("title",)
    company: tuple[str, ...] = ("company", "company_name", "employer", "hiringOrganization")
    company_url: tuple[str, ...] = ("company_url", "company_website", "employer_url")
    company_logo: tuple[str, ...] = ("company_logo", "company_logo_url", "employer_logo")
    location: tuple[str, ...] = ("location", "region", "job_location")
    url: tuple[str, ...] = ("link", "url")
    apply_url: tuple[str, ...] = ("application_link", "apply_url", "application_url", "applyurl")
    valid_through: tuple[str, ...] = ("expires_at", "expiration", "expiration_date", "validThrough")
    description: tuple[str, ...] = ("encoded", "html_description", "description", "content", "summary")
    salary: tuple[str, ...] = ("salary", "compensation")
    employment_type: tuple[str, ...] = ("job_type", "type", "employment_type", "jobtype", "arrangement")
    category: tuple[str, ...] = ("category",)
    # Not mappable: structured pay, places given field by field (Indeed), workplace declarations.
    salary_min: tuple[str, ...] = ("min_compensation", "salary_minimum", "salary_min", "minimum_salary")
    salary_max: tuple[str, ...] = ("max_compensation", "salary_maximum", "salary_max", "maximum_salary")
    salary_currency: tuple[str, ...] = ("compensation_currency", "salary_currency", "currency")
    salary_interval: tuple[str, ...] = ("compensation_time_frame", "salary_schedule", "salary_interval")
    city: tuple[str, ...] = ("city",)
    region: tuple[str, ...] = ("state",)
    country: tuple[str, ...] = ("country",)
    workplace: tuple[str, ...] = ("location_type", "workplace_type", "remote_type", "jobLocationType")
    remote: tuple[str, ...] = ("remote", "is_remote")


# The Job fields a feed's `field_map` may point at an element of its own.
MAPPABLE = frozenset(
    {"title", "company", "location", "url", "apply_url", "id", "date_posted", "valid_through"}
    | {"description", "salary", "employment_type", "category"}
)
DEFAULTS = {
    fmt: FieldNames(ids, INDEED_DATE_POSTED_NAMES if fmt == "indeed" else DATE_POSTED_NAMES)
    for fmt, ids in ID_NAMES.items()
}


def field_names(fmt: str, field_map: dict[str, str] | None = None) -> FieldNames:
    """The names to look for; a mapped name wins over every built-in guess."""
    names = DEFAULTS.get(fmt) or FieldNames(())
    if not field_map:
        return names
    mapped = {field: element for field, element in field_map.items() if field in MAPPABLE}
    return replace(names, **{field: (element, *getattr(names, field)) for field, element in mapped.items()})


def unmappable(field_map: dict[str, str] | None) -> list[str]:
    return sorted(set(field_map or ()) - MAPPABLE)
