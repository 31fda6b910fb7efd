"""Who a job is: its canonical URL, its job_key (from the source site the caller names), and in-feed
duplicates."""

import hashlib
import re
from urllib.parse import urlsplit, urlunsplit

from schemas.job import Job

# Only parameters that are tracking wherever they appear; `ref` and `source` are kept because
# some job sites route on them (e.g. `?source=partner` picks the application form).
TRACKING_PARAMETER = re.compile(
    r"utm_.*|fbclid|gclid|dclid|msclkid|yclid|igshid|mc_cid|mc_eid|_ga|_hs(enc|mi)"
)


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


WEB_SCHEMES = frozenset({"http", "https"})


def web_url(url: str | None, schemes: frozenset[str] = WEB_SCHEMES) -> str | None:
    """The URL if it is one the dashboard may link to (http or https by default), else None."""
    try:
        scheme = urlsplit(url.strip()).scheme.lower() if url else ""
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return None
    return url.strip() if url and scheme in schemes else None
